import { describe, expect, test } from 'bun:test'
import { checksumOf, displayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey, KEY_LENGTH } from './api-key'

describe('api key format', () => {
  test('a generated key has the documented shape and a valid checksum', () => {
    const key = generateApiKey()
    expect(key).toMatch(/^msk_live_[0-9A-Za-z]{38}$/)
    expect(key.length).toBe(KEY_LENGTH)
    expect(isWellFormedApiKey(key)).toBe(true)
    expect(displayPrefix(key)).toBe(key.slice(0, 15))
  })

  test('any changed character breaks the checksum', () => {
    const key = generateApiKey()
    for (let i = 9; i < key.length; i++) {
      const c = key[i] === 'a' ? 'b' : 'a'
      expect(isWellFormedApiKey(key.slice(0, i) + c + key.slice(i + 1))).toBe(false)
    }
  })

  test('garbage and truncated keys are rejected offline', () => {
    for (const bad of ['', 'msk_live_', 'Bearer x', generateApiKey().slice(0, -1), `sk_live_${'a'.repeat(38)}`]) {
      expect(isWellFormedApiKey(bad)).toBe(false)
    }
  })

  test('the checksum is the CRC-32 (IEEE) of the body in 6 base62 chars', () => {
    // 0xcbf43926, CRC-32's standard check value for "123456789", written in base62.
    expect(checksumOf('123456789')).toBe('3jZRME')
    expect(checksumOf('msk_live_x')).toMatch(/^[0-9A-Za-z]{6}$/)
  })

  test('keys are random and hashed with SHA-256', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey))
    expect(keys.size).toBe(1000)
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
