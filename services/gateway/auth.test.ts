import { describe, expect, test } from 'bun:test'
import { generateApiKey, hashApiKey } from '../../shared/api-key'
import type { Bus } from '../../shared/bus/bus'
import type { Principal } from '../../shared/contracts/identity'
import { AppError } from '../../shared/errors'
import { authenticate, checkAdmin, presentedKey } from './auth'
import { KeyCache } from './key-cache'

const principal = (expires_at: string | null): Principal => ({
  tenant_id: 'ten_a',
  key_id: 'key_a',
  key_prefix: 'msk_live_abcdef',
  scopes: ['keys:manage'],
  expires_at,
  rate_limit_per_second: null,
})

describe('gateway auth', () => {
  test('a key that expires while cached is refused without asking identity', async () => {
    const key = generateApiKey()
    const cache = new KeyCache(60_000)
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    await cache.get(hashApiKey(key), async () => principal('2026-01-01T00:00:10Z'), t0)
    const noBus = {} as Bus // any bus call would throw: the cache must answer
    const headers = new Headers({ 'x-api-key': key })
    expect((await authenticate(headers, cache, noBus, 'req', t0 + 5_000)).key_id).toBe('key_a')
    const err = await authenticate(headers, cache, noBus, 'req', t0 + 10_000).catch((e) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ status: 401, message: 'API key has expired' })
  })

  test('keys are read from X-API-Key or a Bearer token', () => {
    expect(presentedKey(new Headers({ 'x-api-key': ' k1 ' }))).toBe('k1')
    expect(presentedKey(new Headers({ authorization: 'Bearer k2' }))).toBe('k2')
    expect(presentedKey(new Headers({ authorization: 'Basic k3' }))).toBeUndefined()
  })

  test('the admin token must match exactly', () => {
    const token = 'adm_0123456789abcdef'
    expect(() => checkAdmin(new Headers({ authorization: `Bearer ${token}` }), token)).not.toThrow()
    for (const h of [{}, { authorization: `Bearer ${token}x` }, { authorization: token }] as Record<string, string>[]) {
      expect(() => checkAdmin(new Headers(h), token)).toThrow(AppError)
    }
    expect(() => checkAdmin(new Headers({ authorization: `Bearer ${token}` }), undefined)).toThrow('disabled')
  })
})
