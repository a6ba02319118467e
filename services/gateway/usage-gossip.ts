/**
 * Shares tenants' rate-limit spending between gateways (ADR 0007): every `intervalMs` this
 * gateway publishes what it admitted per tenant, and takes what the others admitted from its own
 * buckets. Every gateway hears every report (no queue group).
 */
import type { Bus } from '../../shared/bus/bus'
import { gateway } from '../../shared/contracts/gateway'
import { randomBase62 } from '../../shared/api-key'
import type { RateLimiter } from './rate-limit'

export class UsageGossip {
  readonly gatewayId = `gw_${randomBase62(16)}`
  private readonly timer: ReturnType<typeof setInterval>

  constructor(private readonly bus: Bus, private readonly limiter: RateLimiter, intervalMs = 100) {
    bus.subscribe(gateway.usageReported, ({ gateway_id, usage }) => {
      if (gateway_id === this.gatewayId) return
      const now = Date.now()
      for (const u of usage) limiter.absorb(u.tenant_id, { ratePerSecond: u.rate_per_second, burst: u.burst }, u.used, now)
    })
    this.timer = setInterval(() => this.report(), intervalMs)
    this.timer.unref?.()
  }

  report(): void {
    const usage = this.limiter.takeUsage()
    if (usage.length === 0 || !this.bus.isConnected()) return
    this.bus.publish(gateway.usageReported, { gateway_id: this.gatewayId, usage })
  }

  stop(): void {
    clearInterval(this.timer)
    this.report()
  }
}
