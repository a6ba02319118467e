import { describe, expect, test } from 'bun:test'
import { Bus } from './bus/bus'
import { InProcessTransport } from './bus/in-process-transport'
import { Type as T } from '@sinclair/typebox'
import { event } from './contracts/define'
import { eventually } from '../tests/support/eventually'
import { LoadingCache } from './cache'

function deferred<T>() {
  return Promise.withResolvers<T>()
}

describe('LoadingCache', () => {
  test('a hit needs no load; the TTL bounds how long a value is served', async () => {
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 40 })
    let loads = 0
    const load = async () => ({ v: ++loads })
    expect(await cache.get('a', load)).toEqual({ v: 1 })
    expect(await cache.lookup('a', load)).toEqual({ value: { v: 1 }, cached: true })
    await Bun.sleep(60)
    expect(await cache.lookup('a', load)).toEqual({ value: { v: 2 }, cached: false })
  })

  test('concurrent misses share one load', async () => {
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 10_000 })
    const d = deferred<{ v: number }>()
    let loads = 0
    const load = () => (loads++, d.promise)
    const both = Promise.all([cache.get('a', load), cache.get('a', load)])
    d.resolve({ v: 7 })
    expect(await both).toEqual([{ v: 7 }, { v: 7 }])
    expect(loads).toBe(1)
  })

  test('a load that overlapped an invalidation is answered but not stored; the next caller loads afresh', async () => {
    const cache = new LoadingCache<string, { v: string }>({ ttlMs: 10_000 })
    const old = deferred<{ v: string }>()
    const first = cache.get('a', () => old.promise)
    cache.invalidate('a')
    let fresh = 0
    const second = cache.get('a', async () => (fresh++, { v: 'new' }))
    old.resolve({ v: 'old' })
    expect(await first).toEqual({ v: 'old' })
    expect(await second).toEqual({ v: 'new' })
    expect(fresh).toBe(1)
    expect(cache.peek('a')).toEqual({ v: 'new' })
  })

  test('clear() also keeps overlapped loads out, and a failed load is not cached', async () => {
    const cache = new LoadingCache<string, { v: string }>({ ttlMs: 10_000 })
    const d = deferred<{ v: string }>()
    const p = cache.get('a', () => d.promise)
    cache.clear()
    d.resolve({ v: 'old' })
    await p
    expect(cache.peek('a')).toBeUndefined()
    await expect(cache.get('b', async () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(await cache.get('b', async () => ({ v: 'up' }))).toEqual({ v: 'up' })
  })

  test('invalidateWhere drops the entries whose value matches', async () => {
    const cache = new LoadingCache<string, { tenant: string }>({ ttlMs: 10_000 })
    await cache.get('k1', async () => ({ tenant: 't1' }))
    await cache.get('k2', async () => ({ tenant: 't2' }))
    cache.invalidateWhere((v) => v.tenant === 't1')
    expect(cache.peek('k1')).toBeUndefined()
    expect(cache.peek('k2')).toEqual({ tenant: 't2' })
  })

  test('the size bound evicts the least recently used', async () => {
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 10_000, maxEntries: 2 })
    for (const k of ['a', 'b']) await cache.get(k, async () => ({ v: 1 }))
    cache.peek('a')
    await cache.get('c', async () => ({ v: 1 }))
    expect(cache.peek('b')).toBeUndefined()
    expect(cache.size).toBe(2)
  })

  test('an event invalidates the key it names', async () => {
    const changed = event('test.thing.changed', T.Object({ id: T.String() }))
    const bus = new Bus(new InProcessTransport(), { prefix: `cache-${crypto.randomUUID()}`, service: 'test' })
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 10_000 }).invalidateOn(bus, changed, (e) => e.id)
    await cache.get('a', async () => ({ v: 1 }))
    await cache.get('b', async () => ({ v: 1 }))
    bus.publish(changed, { id: 'a' })
    expect(await eventually(() => cache.peek('a'), (v) => v === undefined)).toBeUndefined()
    expect(cache.peek('b')).toEqual({ v: 1 })
    await bus.drain()
  })
})
