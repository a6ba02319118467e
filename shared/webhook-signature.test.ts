import { createHmac } from 'node:crypto'
import { describe, expect, test } from 'bun:test'
import { signatureHeader, signatureOf, verifySignature } from './webhook-signature'

const secret = 'whsec_test'
const body = '{"event":"answered","sequence":2}'

describe('callback signature', () => {
  test('v1 is the hex HMAC-SHA256 of "<t>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')
    expect(signatureOf(secret, body, 1700000000)).toBe(expected)
    expect(signatureHeader(secret, body, 1700000000)).toBe(`t=1700000000,v1=${expected}`)
  })

  test('verifies its own header and refuses tampering, other secrets and stale times', () => {
    const now = 1700000000
    const h = signatureHeader(secret, body, now)
    expect(verifySignature(secret, body, h, { nowS: now })).toBe(true)
    expect(verifySignature(secret, body + ' ', h, { nowS: now })).toBe(false)
    expect(verifySignature('whsec_other', body, h, { nowS: now })).toBe(false)
    expect(verifySignature(secret, body, h, { nowS: now + 301 })).toBe(false)
    expect(verifySignature(secret, body, h.replace(/t=\d+/, `t=${now + 1}`), { nowS: now })).toBe(false)
    expect(verifySignature(secret, body, null)).toBe(false)
    expect(verifySignature(secret, body, 'garbage')).toBe(false)
  })

  test('accepts any of several v1 values (receivers during a rotation may see two)', () => {
    const now = 1700000000
    const good = signatureOf(secret, body, now)
    expect(verifySignature(secret, body, `t=${now},v1=${'0'.repeat(64)},v1=${good}`, { nowS: now })).toBe(true)
  })
})
