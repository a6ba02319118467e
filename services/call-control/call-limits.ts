/**
 * Per-tenant call limits (toll-fraud and runaway-loop bounds): at most N calls live at once and M
 * started in any 60-second window, per tenant, on this instance. A refused inbound call gets SIP
 * 486 Busy Here (final, so the trunk does not retry it elsewhere; the caller hears busy); a
 * refused originate is 429 `call_limit_exceeded`. Both are counted in `sip_calls_limited_total`.
 */
export type LimitRefusal = 'concurrent_calls' | 'calls_per_minute'

export interface CallLimitSettings {
  /** Live calls per tenant; 0 = no limit. */
  maxConcurrent: number
  /** Calls started per tenant in any 60 s; 0 = no limit. */
  perMinute: number
}

interface TenantCounters {
  live: number
  /** Calls started in each of the last 60 seconds (a ring indexed by unix second % 60). */
  buckets: Uint32Array
  /** The unix second `buckets` was last advanced to. */
  second: number
  inWindow: number
}

export type Admission = { ok: true; release(): void } | { ok: false; refusal: LimitRefusal }

export class TenantCallLimits {
  private readonly tenants = new Map<string, TenantCounters>()

  constructor(
    private readonly s: CallLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot for a new call of `tenantId`, or says which limit refuses it. */
  admit(tenantId: string): Admission {
    const second = Math.floor(this.now() / 1000)
    let t = this.tenants.get(tenantId)
    if (!t) {
      t = { live: 0, buckets: new Uint32Array(60), second, inWindow: 0 }
      this.tenants.set(tenantId, t)
    }
    advance(t, second)
    if (this.s.maxConcurrent > 0 && t.live >= this.s.maxConcurrent) return { ok: false, refusal: 'concurrent_calls' }
    if (this.s.perMinute > 0 && t.inWindow >= this.s.perMinute) return { ok: false, refusal: 'calls_per_minute' }
    t.live++
    t.buckets[second % 60]!++
    t.inWindow++
    let released = false
    const counters = t
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        counters.live--
        // An idle tenant's counters go once its window is empty, so the map does not grow for ever.
        advance(counters, Math.floor(this.now() / 1000))
        if (counters.live === 0 && counters.inWindow === 0 && this.tenants.get(tenantId) === counters) this.tenants.delete(tenantId)
      },
    }
  }

  liveOf(tenantId: string): number {
    return this.tenants.get(tenantId)?.live ?? 0
  }
}

/** Moves the window to `second`, forgetting the seconds that fell out of it. */
function advance(t: TenantCounters, second: number): void {
  const steps = Math.min(second - t.second, 60)
  for (let i = 1; i <= steps; i++) {
    const b = (t.second + i) % 60
    t.inWindow -= t.buckets[b]!
    t.buckets[b] = 0
  }
  if (second > t.second) t.second = second
}
