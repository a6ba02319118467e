/**
 * A tenant's number-sharing mode, from identity (`identity.tenant.get`), cached briefly and
 * dropped as soon as `identity.tenant.updated` says it changed.
 */
import type { Bus } from '../../shared/bus/bus'
import { identity } from '../../shared/contracts/identity'

export type NumberSharing = 'exclusive' | 'shared'

export class TenantSettings {
  private readonly cache = new Map<string, { sharing: NumberSharing; at: number }>()
  private readonly inflight = new Map<string, Promise<NumberSharing>>()
  /** Bumped on invalidation, so a fetch that overlapped a change is not cached. */
  private generation = 0

  constructor(
    private readonly bus: Bus,
    private readonly ttlMs: number,
  ) {}

  async sharing(tenantId: string, requestId = ''): Promise<NumberSharing> {
    const hit = this.cache.get(tenantId)
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.sharing
    let p = this.inflight.get(tenantId)
    if (!p) {
      const gen = this.generation
      p = this.bus
        .request(identity.getTenant, { tenant_id: tenantId }, { requestId })
        .then((t) => {
          if (gen === this.generation) this.cache.set(tenantId, { sharing: t.number_sharing, at: Date.now() })
          return t.number_sharing
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
