import { describe, expect, test } from 'bun:test'
import type { Principal } from '../../shared/contracts/identity'
import { KeyCache } from './key-cache'

const principal = (key_id: string, tenant_id = 'ten_a'): Principal => ({
  tenant_id,
  key_id,
  key_prefix: 'msk_live_abcdef',
  scopes: ['keys:manage'],
  expires_at: null,
  rate_limit_per_second: null,
})

describe('key cache', () => {
  test('hits within the TTL, reloads after it', async () => {
    const cache = new KeyCache(5000)
    let loads = 0
    const load = async () => (loads++, principal('key_1'))
    expect((await cache.get('h', load, 0)).cached).toBe(false)
    expect((await cache.get('h', load, 4999)).cached).toBe(true)
    expect((await cache.get('h', load, 5000)).cached).toBe(false)
    expect(loads).toBe(2)
  })

  test('concurrent misses share one lookup', async () => {
    const cache = new KeyCache()
    let loads = 0
    const load = async () => (loads++, await Bun.sleep(5), principal('key_1'))
    await Promise.all(Array.from({ length: 20 }, () => cache.get('h', load)))
    expect(loads).toBe(1)
  })

  test('evicting a key or its tenant forces a fresh lookup', async () => {
    const cache = new KeyCache()
    let loads = 0
    const load = async () => (loads++, principal('key_1'))
    await cache.get('h', load)
    cache.evictKey('key_1')
    expect((await cache.get('h', load)).cached).toBe(false)
    cache.evictTenant('ten_a')
    expect((await cache.get('h', load)).cached).toBe(false)
    expect(loads).toBe(3)
  })

  test('an eviction during an in-flight lookup keeps its answer out of the cache', async () => {
    const cache = new KeyCache()
    let release!: () => void
    const slow = () => new Promise<Principal>((r) => (release = () => r(principal('key_1'))))
    const p = cache.get('h', slow)
    cache.evictKey('key_1')
    release()
    await p
    expect(cache.size).toBe(0)
  })
})
