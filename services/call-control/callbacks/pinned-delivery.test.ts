/**
 * https deliveries connect to the address the SSRF guard checked (DNS rebinding cannot steer
 * them), while SNI and the certificate check still use the URL's host name. The receiver is a
 * real TLS server on 127.0.0.1 with a certificate for `hooks.example`, a name no system resolver
 * knows: a delivery can only reach it through the pinned address.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'bun'
import { createLogger } from '../../../shared/log'
import { CallbackWorker } from './worker'

let server: Server<undefined>
let cert: string
const hosts: string[] = []

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pinned-'))
  await Bun.$`openssl req -x509 -newkey rsa:2048 -nodes -keyout ${dir}/k.pem -out ${dir}/c.pem -days 2 -subj /CN=hooks.example -addext subjectAltName=DNS:hooks.example`.quiet()
  cert = await Bun.file(`${dir}/c.pem`).text()
  const key = await Bun.file(`${dir}/k.pem`).text()
  await Bun.$`rm -rf ${dir}`.quiet()
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: { cert, key },
    fetch: (req) => (hosts.push(req.headers.get('host') ?? ''), new Response('ok')),
  })
})
afterAll(() => server?.stop(true))

function worker(resolve: (h: string) => Promise<string[]>) {
  return new CallbackWorker({ database: undefined as never, secrets: { get: async () => ['whsec_test'] }, log: createLogger({ level: 'silent' }), allowPrivate: true, resolve, ca: cert })
}
const job = (url: string) => ({ id: 'cbd_1', call_id: 'call_1', tenant_id: 'ten_1', sequence: 1, event_id: 'evt_1', url, body: '{}', attempts: 0 })

describe('https deliveries are pinned to the checked address', () => {
  test('the name resolves only through the guard, yet the delivery arrives, with its Host and a verified certificate', async () => {
    const resolved: string[] = []
    const w = worker(async (h) => (resolved.push(h), ['127.0.0.1']))
    const out = await w.send(job(`https://hooks.example:${server.port}/cb`))
    expect(out).toMatchObject({ ok: true, statusCode: 200 })
    expect(resolved).toEqual(['hooks.example'])
    expect(hosts.at(-1)).toBe(`hooks.example:${server.port}`)
  })

  test('the certificate is still checked against the name, not the address', async () => {
    // other.example "resolves" to the same server, whose certificate is not for it.
    const out = await worker(async () => ['127.0.0.1']).send(job(`https://other.example:${server.port}/cb`))
    expect(out.ok).toBe(false)
    expect(out.error).toMatch(/altnames|certificate/i)
  })
})
