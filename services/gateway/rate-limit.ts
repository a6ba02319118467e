/**
 * Token buckets. Tenants' limits hold across all their keys and all gateways (ADR 0007): each
 * gateway keeps a bucket per tenant, admits from it locally (no hop per request), and every
 * ~100 ms tells the other gateways how much each tenant spent here; they take that from their own
 * buckets. A bucket may go into debt (down to minus one burst), so what two gateways admitted
 * before hearing from each other is paid back, and over any window the tenant gets its burst plus
 * rate × time, whatever the number of keys and gateways. Unauthenticated requests are limited per
 * source address, locally.
 */

export interface Bucket {
  tokens: number
  updatedMs: number
}

export interface Limit {
  ratePerSecond: number
  burst: number
}

export interface Decision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the bucket is full again. */
  resetSeconds: number
  /** When refused: seconds until one token is available. */
  retryAfterSeconds: number
}

function refill(bucket: Bucket, limit: Limit, nowMs: number): void {
  const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000
  bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.ratePerSecond)
  bucket.updatedMs = Math.max(bucket.updatedMs, nowMs)
}

/** Pure: refills the bucket to `nowMs` and takes one token if there is one. */
export function take(bucket: Bucket, limit: Limit, nowMs: number): Decision {
  refill(bucket, limit, nowMs)
  const allowed = bucket.tokens >= 1
  if (allowed) bucket.tokens -= 1
  return {
    allowed,
    limit: limit.burst,
    remaining: Math.max(0, Math.floor(bucket.tokens)),
    resetSeconds: Math.ceil((limit.burst - bucket.tokens) / limit.ratePerSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / limit.ratePerSecond)),
  }
}

/** Pure: takes what was spent elsewhere; the bucket may owe up to one burst. */
export function spendElsewhere(bucket: Bucket, limit: Limit, used: number, nowMs: number): void {
  refill(bucket, limit, nowMs)
  bucket.tokens = Math.max(-limit.burst, bucket.tokens - used)
}

export interface UsageEntry {
  tenant_id: string
  used: number
  rate_per_second: number
  burst: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  /** What this gateway admitted per key since the last report (for peers). */
  private spent = new Map<string, { used: number; limit: Limit }>()
  private readonly sweeper: ReturnType<typeof setInterval>

  constructor(private readonly defaults: Limit) {
    // A bucket that has refilled is the same as no bucket: forget idle ones.
    this.sweeper = setInterval(() => this.sweep(Date.now()), 60_000)
    this.sweeper.unref?.()
  }

  limitFor(tenantRate: number | null): Limit {
    return tenantRate ? { ratePerSecond: tenantRate, burst: tenantRate * 2 } : this.defaults
  }

  check(key: string, limit: Limit, nowMs = Date.now()): Decision {
    const d = take(this.bucket(key, limit, nowMs), limit, nowMs)
    if (d.allowed) {
      const s = this.spent.get(key)
      if (s) {
        s.used++
        s.limit = limit
      } else this.spent.set(key, { used: 1, limit })
    }
    return d
  }

  /** Whether a request would be admitted now, without spending anything. */
  peek(key: string, limit: Limit, nowMs = Date.now()): Decision {
    const b = this.buckets.get(key)
    if (!b) return take({ tokens: limit.burst, updatedMs: nowMs }, limit, nowMs)
    return take({ ...b }, limit, nowMs)
  }

  /** Another gateway admitted `used` requests for `key`. */
  absorb(key: string, limit: Limit, used: number, nowMs = Date.now()): void {
    spendElsewhere(this.bucket(key, limit, nowMs), limit, used, nowMs)
  }

  /** What was admitted here since the last call, to tell the other gateways. */
  takeUsage(): UsageEntry[] {
    if (this.spent.size === 0) return []
    const out = [...this.spent].map(([tenant_id, s]) => ({ tenant_id, used: s.used, rate_per_second: s.limit.ratePerSecond, burst: s.limit.burst }))
    this.spent = new Map()
    return out
  }

  private bucket(key: string, limit: Limit, nowMs: number): Bucket {
    let b = this.buckets.get(key)
    if (!b) this.buckets.set(key, (b = { tokens: limit.burst, updatedMs: nowMs }))
    return b
  }

  private sweep(nowMs: number): void {
    for (const [k, b] of this.buckets) if (nowMs - b.updatedMs > 120_000 && b.tokens >= 0) this.buckets.delete(k)
  }

  stop(): void {
    clearInterval(this.sweeper)
  }
}
