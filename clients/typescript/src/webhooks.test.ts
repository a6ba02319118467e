/** verifyWebhook against signatures made by the platform's own signer (call-control). */
import { describe, expect, test } from 'bun:test'
import { signatureHeader } from '../../../shared/webhook-signature'
import { signWebhook, verifyWebhook, WebhookVerificationError } from './webhooks'

const body = JSON.stringify({ event_id: 'evt_1', event: 'answered', sequence: 3, call_id: 'call_1', session_id: 'ses_1', status: 'answered' })
const now = 1_800_000_000

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'verified'
  } catch (e) {
    return e instanceof WebhookVerificationError ? e.reason : `other: ${String(e)}`
  }
}

describe('verifyWebhook', () => {
  test('accepts the platform’s signature and returns the event', async () => {
    const header = signatureHeader('whsec_current', body, now)
    const event = await verifyWebhook(body, header, 'whsec_current', { nowSeconds: now + 10 })
    expect(event).toMatchObject({ event_id: 'evt_1', event: 'answered', sequence: 3 })
    expect(await verifyWebhook(new TextEncoder().encode(body), header, ['whsec_old', 'whsec_current'], { nowSeconds: now })).toMatchObject({ call_id: 'call_1' })
  })

  test('refuses a wrong secret, a changed body, an old timestamp, and a missing or garbled header', async () => {
    const header = signatureHeader('whsec_current', body, now)
    expect(await reason(verifyWebhook(body, header, ['whsec_other'], { nowSeconds: now }))).toBe('signature_mismatch')
    expect(await reason(verifyWebhook(body.replace('answered', 'completed'), header, 'whsec_current', { nowSeconds: now }))).toBe('signature_mismatch')
    expect(await reason(verifyWebhook(body, header, 'whsec_current', { nowSeconds: now + 301 }))).toBe('timestamp_out_of_tolerance')
    expect(await reason(verifyWebhook(body, header, 'whsec_current', { nowSeconds: now + 3600, toleranceSeconds: 7200 }))).toBe('verified')
    expect(await reason(verifyWebhook(body, null, 'whsec_current'))).toBe('missing_header')
    expect(await reason(verifyWebhook(body, 'v1=abc', 'whsec_current'))).toBe('malformed_header')
    expect(await reason(verifyWebhook(body, `t=${now},v1=zz`, 'whsec_current', { nowSeconds: now }))).toBe('signature_mismatch')
  })

  test('signWebhook signs as the platform does', async () => {
    expect(await signWebhook(body, 's3cret', now)).toBe(signatureHeader('s3cret', body, now))
  })
})
