/**
 * A tenant's settings that sessions applies (number sharing, allowed countries), from identity
 * (`identity.tenant.get`), cached briefly and dropped as soon as `identity.tenant.updated` says
 * they changed.
 */
import type { Bus } from '../../shared/bus/bus'
import { identity } from '../../shared/contracts/identity'

export type NumberSharing = 'exclusive' | 'shared'

export interface TenantPolicy {
  sharing: NumberSharing
  /** null: the countries of the tenant's masked numbers. */
  allowedCountries: readonly string[] | null
}

export class TenantSettings {
  private readonly cache = new Map<string, { policy: TenantPolicy; at: number }>()
  private readonly inflight = new Map<string, Promise<TenantPolicy>>()
  /** Bumped on invalidation, so a fetch that overlapped a change is not cached. */
  private generation = 0

  constructor(
    private readonly bus: Bus,
    private readonly ttlMs: number,
  ) {}

  async sharing(tenantId: string, requestId = ''): Promise<NumberSharing> {
    return (await this.of(tenantId, requestId)).sharing
  }

  async of(tenantId: string, requestId = ''): Promise<TenantPolicy> {
    const hit = this.cache.get(tenantId)
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.policy
    let p = this.inflight.get(tenantId)
    if (!p) {
      const gen = this.generation
      p = this.bus
        .request(identity.getTenant, { tenant_id: tenantId }, { requestId })
        .then((t) => {
          const policy: TenantPolicy = { sharing: t.number_sharing, allowedCountries: t.allowed_countries }
          if (gen === this.generation) this.cache.set(tenantId, { policy, at: Date.now() })
          return policy
        })
        .finally(() => this.inflight.delete(tenantId))
      this.inflight.set(tenantId, p)
    }
    return p
  }

  invalidate(tenantId: string): void {
    this.generation++
    this.cache.delete(tenantId)
    this.inflight.delete(tenantId)
  }

  /** Forgets every tenant (the bus reconnected: `identity.tenant.updated` events may have been missed). */
  clear(): void {
    this.generation++
    this.cache.clear()
    this.inflight.clear()
  }
}
