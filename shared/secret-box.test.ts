import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { parseKey, SecretBox } from './secret-box'

describe('secret box', () => {
  const k1 = randomBytes(32)
  const k2 = randomBytes(32)

  test('seals so the plaintext is not in the stored value, and opens it again', () => {
    const box = new SecretBox(k1)
    const sealed = box.seal('whsec_abc123')
    expect(sealed).not.toContain('whsec_abc123')
    expect(sealed).toStartWith('v1.')
    expect(box.seal('whsec_abc123')).not.toBe(sealed) // a fresh IV each time
    expect(box.open(sealed)).toEqual({ plaintext: 'whsec_abc123', reseal: false })
  })

  test('key rotation: an old key still opens (asking for a reseal); an unknown key is an error; legacy plaintext is resealed', () => {
    const old = new SecretBox(k1).seal('s1')
    const rotated = new SecretBox(k2, [k1])
    expect(rotated.open(old)).toEqual({ plaintext: 's1', reseal: true })
    expect(() => new SecretBox(k2).open(old)).toThrow(/SECRETS_KEY_PREVIOUS/)
    expect(rotated.open('whsec_legacy')).toEqual({ plaintext: 'whsec_legacy', reseal: true })
  })

  test('tampering is detected', () => {
    const box = new SecretBox(k1)
    const parts = box.seal('s').split('.')
    parts[4] = Buffer.from('x').toString('base64url')
    expect(() => box.open(parts.join('.'))).toThrow()
  })

  test('keys are 32 bytes, hex or base64', () => {
    expect(parseKey(k1.toString('hex'))).toEqual(k1)
    expect(parseKey(k1.toString('base64'))).toEqual(k1)
    expect(() => parseKey('short')).toThrow(/32 bytes/)
  })
})
