/**
 * The one cache for values fetched from another service: a TTL bounds staleness, an event or a
 * bus reconnect invalidates at once, concurrent misses share one load, and a load that overlapped
 * an invalidation of its key is answered but never stored (it may have read the old value).
 * Storage, TTL and the size bound are lru-cache's.
 */
import { LRUCache } from 'lru-cache'
import type { Bus } from './bus/bus'
import type { EventContract, PayloadOf } from './contracts/define'

export interface CacheOptions {
  ttlMs: number
  maxEntries?: number
}

export class LoadingCache<K extends string, V extends {}> {
  private readonly entries: LRUCache<K, V>
  /** Loads in flight; an invalidation removes its key's, which is how the load learns it overlapped one. */
  private readonly loading = new Map<K, Promise<V>>()

  constructor(opts: CacheOptions) {
    this.entries = new LRUCache<K, V>({ max: opts.maxEntries ?? 10_000, ttl: opts.ttlMs, ttlAutopurge: false })
  }

  /** The cached value, or `load(key)`'s (one load per key at a time). */
  async get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    return (await this.lookup(key, load)).value
  }

  /** Like `get`, and says whether the value came from the cache (for metrics). */
  async lookup(key: K, load: (key: K) => Promise<V>): Promise<{ value: V; cached: boolean }> {
    const hit = this.entries.get(key)
    if (hit !== undefined) return { value: hit, cached: true }
    let p = this.loading.get(key)
    if (!p) {
      const mine: Promise<V> = load(key).then(
        (value) => {
          if (this.loading.get(key) === mine) {
            this.loading.delete(key)
            this.entries.set(key, value)
          }
          return value
        },
        (e: unknown) => {
          if (this.loading.get(key) === mine) this.loading.delete(key)
          throw e
        },
      )
      this.loading.set(key, mine)
      p = mine
    }
    return { value: await p, cached: false }
  }

  peek(key: K): V | undefined {
    return this.entries.get(key)
  }

  invalidate(key: K): void {
    this.entries.delete(key)
    // A load in flight now may read the old value: the next caller starts a fresh one.
    this.loading.delete(key)
  }

  /** Drops every entry whose value matches (e.g. all keys of one tenant). */
  invalidateWhere(match: (value: V, key: K) => boolean): void {
    for (const [key, value] of this.entries.entries()) if (match(value, key)) this.invalidate(key)
  }

  clear(): void {
    this.entries.clear()
    this.loading.clear()
  }

  /** Invalidates the key an event names, whenever that event arrives. */
  invalidateOn<E extends EventContract>(bus: Bus, event: E, keyOf: (payload: PayloadOf<E>) => K | undefined): this {
    bus.subscribe(event, (payload) => {
      const key = keyOf(payload)
      if (key !== undefined) this.invalidate(key)
    })
    return this
  }

  /** Forgets everything after a reconnect: invalidating events may have been missed meanwhile. */
  clearOnReconnect(bus: Bus): this {
    bus.onReconnect(() => this.clear())
    return this
  }

  get size(): number {
    return this.entries.size
  }
}
