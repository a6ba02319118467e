/** The receiver example over real HTTP, fed callbacks signed by the platform's own signer. */
import { afterAll, expect, test } from 'bun:test'
import { signatureHeader } from '../../../shared/webhook-signature'
import type { CallStateEvent } from '../src'
import { callbackHandler } from './webhook-receiver'

const seen: CallStateEvent[] = []
const server = Bun.serve({ port: 0, fetch: callbackHandler(['whsec_new', 'whsec_old'], (e) => void seen.push(e)) })
afterAll(() => server.stop(true))

const post = (body: string, signature: string) => fetch(server.url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'X-Masking-Signature': signature } })

test('a signed callback is accepted (old or new secret); a forged or replayed one gets 400', async () => {
  const body = JSON.stringify({ event_id: 'evt_1', event: 'ringing', sequence: 2, call_id: 'call_1', status: 'ringing' })
  expect((await post(body, signatureHeader('whsec_old', body))).status).toBe(204)
  expect(seen.map((e) => [e.event_id, e.sequence])).toEqual([['evt_1', 2]])
  const forged = await post(body, signatureHeader('whsec_guess', body))
  expect([forged.status, await forged.text()]).toEqual([400, 'signature_mismatch'])
  const replayed = await post(body, signatureHeader('whsec_new', body, Math.floor(Date.now() / 1000) - 3600))
  expect([replayed.status, await replayed.text()]).toEqual([400, 'timestamp_out_of_tolerance'])
  expect(seen).toHaveLength(1)
})
