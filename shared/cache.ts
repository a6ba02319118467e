/**
 * The one cache for values fetched from another service: a TTL bounds staleness, an event or a
 * bus reconnect invalidates at once, concurrent misses share one load, and a load that overlapped
 * an invalidation of its key is answered but never stored (it may have read the old value).
 * Storage and the size bound (least recently used goes first) are lru-cache's; the TTL is checked
 * here against an injectable clock, exactly (`age < ttl`) and per entry where a value says so.
 */
import { LRUCache } from 'lru-cache'
import type { Bus } from './bus/bus'
import type { EventContract, PayloadOf } from './contracts/define'

export interface CacheOptions<V> {
  ttlMs: number
  maxEntries?: number
  /** A value that must not outlive a moment of its own (a secret's end): ms to keep it, at most ttlMs. */
  ttlOf?: (value: V, nowMs: number) => number
  /** The clock (ms); tests pass their own. */
  now?: () => number
}

interface Entry<V> {
  value: V
  expiresAtMs: number
}

export class LoadingCache<K extends string, V extends {}> {
  private readonly entries: LRUCache<K, Entry<V>>
  /** Loads in flight; an invalidation removes its key's, which is how the load learns it overlapped one. */
  private readonly loading = new Map<K, Promise<V>>()

  private readonly now: () => number

  constructor(private readonly opts: CacheOptions<V>) {
    this.entries = new LRUCache<K, Entry<V>>({ max: opts.maxEntries ?? 10_000 })
    this.now = opts.now ?? Date.now
  }

  /** The cached value, or `load(key)`'s (one load per key at a time). `nowMs`: the caller's clock reading, if it has one. */
  async get(key: K, load: (key: K) => Promise<V>, nowMs = this.now()): Promise<V> {
    return (await this.lookup(key, load, nowMs)).value
  }

  /** Like `get`, and says whether the value came from the cache (for metrics). */
  async lookup(key: K, load: (key: K) => Promise<V>, nowMs = this.now()): Promise<{ value: V; cached: boolean }> {
    const hit = this.peek(key, nowMs)
    if (hit !== undefined) return { value: hit, cached: true }
    let p = this.loading.get(key)
    if (!p) {
      const mine: Promise<V> = load(key).then(
        (value) => {
          if (this.loading.get(key) === mine) {
            this.loading.delete(key)
            const ttl = Math.min(this.opts.ttlMs, this.opts.ttlOf?.(value, nowMs) ?? Infinity)
            if (ttl > 0) this.entries.set(key, { value, expiresAtMs: nowMs + ttl })
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

  /** The cached value, if it is still within its TTL (no load). */
  peek(key: K, nowMs = this.now()): V | undefined {
    const e = this.entries.get(key)
    if (e === undefined) return undefined
    if (e.expiresAtMs > nowMs) return e.value
    this.entries.delete(key)
    return undefined
  }

  invalidate(key: K): void {
    this.entries.delete(key)
    // A load in flight now may read the old value: the next caller starts a fresh one.
    this.loading.delete(key)
  }

  /**
   * Drops every entry whose value matches (e.g. all keys of one tenant). Loads in flight cannot be
   * matched before they answer, so none of them is stored: any might be one of the changed values.
   */
  invalidateWhere(match: (value: V, key: K) => boolean): void {
    for (const [key, e] of this.entries.entries()) if (match(e.value, key)) this.entries.delete(key)
    this.loading.clear()
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
