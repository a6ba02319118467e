/**
 * Per-key token buckets (default 20/s, burst 40; a tenant's override sets the rate and twice it
 * as burst). Each gateway instance keeps its own buckets, so N gateways admit up to N times the
 * rate per key: the limit protects the platform, it is not a billing meter.
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

/** Pure: refills the bucket to `nowMs` and takes one token if there is one. */
export function take(bucket: Bucket, limit: Limit, nowMs: number): Decision {
  const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000
  bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.ratePerSecond)
  bucket.updatedMs = nowMs
  const allowed = bucket.tokens >= 1
  if (allowed) bucket.tokens -= 1
  return {
    allowed,
    limit: limit.burst,
    remaining: Math.floor(bucket.tokens),
    resetSeconds: Math.ceil((limit.burst - bucket.tokens) / limit.ratePerSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / limit.ratePerSecond)),
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
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
    let b = this.buckets.get(key)
    if (!b) this.buckets.set(key, (b = { tokens: limit.burst, updatedMs: nowMs }))
    return take(b, limit, nowMs)
  }

  private sweep(nowMs: number): void {
    for (const [k, b] of this.buckets) if (nowMs - b.updatedMs > 120_000) this.buckets.delete(k)
  }

  stop(): void {
    clearInterval(this.sweeper)
  }
}
