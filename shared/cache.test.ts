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

  test('the TTL is exact on the given clock: served while younger than ttlMs, loaded again at ttlMs', async () => {
    let now = 1000
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 5000, now: () => now })
    let loads = 0
    const load = async () => ({ v: ++loads })
    await cache.get('a', load)
    now += 4999
    expect(await cache.lookup('a', load)).toEqual({ value: { v: 1 }, cached: true })
    now += 1
    expect(await cache.lookup('a', load)).toEqual({ value: { v: 2 }, cached: false })
  })

  test('ttlOf shortens the life of an entry (never lengthens it); a TTL of 0 stores nothing', async () => {
    let now = 0
    const cache = new LoadingCache<string, { until: number }>({ ttlMs: 60_000, now: () => now, ttlOf: (v, t) => v.until - t })
    await cache.get('short', async () => ({ until: 100 }))
    await cache.get('long', async () => ({ until: 10_000_000 }))
    now = 100
    expect(cache.peek('short')).toBeUndefined()
    now = 59_999
    expect(cache.peek('long')).toBeDefined()
    now = 60_000
    expect(cache.peek('long')).toBeUndefined()
    const none = new LoadingCache<string, { v: number }>({ ttlMs: 0 })
    await none.get('a', async () => ({ v: 1 }))
    expect(none.peek('a')).toBeUndefined()
  })

  test('invalidateWhere keeps every load in flight out of the cache (its value could not be matched yet)', async () => {
    const cache = new LoadingCache<string, { tenant: string }>({ ttlMs: 10_000 })
    const d = deferred<{ tenant: string }>()
    const p = cache.get('k1', () => d.promise)
    cache.invalidateWhere((v) => v.tenant === 't1')
    d.resolve({ tenant: 't1' })
    expect(await p).toEqual({ tenant: 't1' })
    expect(cache.peek('k1')).toBeUndefined()
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

  test('a reconnect forgets everything', async () => {
    // The in-process transport never reconnects; this one does when told to.
    class Reconnecting extends InProcessTransport {
      private readonly callbacks: (() => void)[] = []
      override onReconnect(cb: () => void): void {
        this.callbacks.push(cb)
      }
      reconnect(): void {
        for (const cb of this.callbacks) cb()
      }
    }
    const transport = new Reconnecting()
    const bus = new Bus(transport, { prefix: `cache-${crypto.randomUUID()}`, service: 'test' })
    const cache = new LoadingCache<string, { v: number }>({ ttlMs: 10_000 }).clearOnReconnect(bus)
    await cache.get('a', async () => ({ v: 1 }))
    transport.reconnect()
    expect(cache.size).toBe(0)
    await bus.drain()
  })
})
