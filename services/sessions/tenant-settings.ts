/**
 * A tenant's settings that sessions applies (number sharing, allowed countries, what unmatched
 * callers hear), from identity (`identity.tenant.get`), cached briefly and dropped as soon as
 * `identity.tenant.updated` says they changed.
 */
import type { Bus } from '../../shared/bus/bus'
import { LoadingCache } from '../../shared/cache'
import { identity, type Tenant } from '../../shared/contracts/identity'

export type NumberSharing = 'exclusive' | 'shared'

export interface TenantPolicy {
  sharing: NumberSharing
  /** null: the countries of the tenant's masked numbers. */
  allowedCountries: readonly string[] | null
}

export class TenantSettings {
  private readonly cache: LoadingCache<string, Tenant>

  constructor(
    private readonly bus: Bus,
    ttlMs: number,
  ) {
    this.cache = new LoadingCache({ ttlMs })
  }

  async sharing(tenantId: string, requestId = ''): Promise<NumberSharing> {
    return (await this.tenant(tenantId, requestId)).number_sharing
  }

  /** Whether new sessions record their calls unless they say (`record_calls`). */
  async recordCalls(tenantId: string, requestId = ''): Promise<boolean> {
    return (await this.tenant(tenantId, requestId)).record_calls
  }

  /** Days ended sessions keep their phone numbers (`phone_retention_days`). */
  async phoneRetentionDays(tenantId: string): Promise<number> {
    return (await this.tenant(tenantId, '')).phone_retention_days
  }

  /** What the tenant wants for a caller it cannot bridge: a prompt (else the SIP refusal) and a callback URL (else none). */
  async unmatched(tenantId: string, reason: 'no_session' | 'unknown_caller' | 'wrong_pin', requestId = ''): Promise<{ prompt: string | null; callbackUrl: string | null }> {
    const t = await this.tenant(tenantId, requestId)
    const prompt = reason === 'no_session' ? t.no_session_prompt : reason === 'unknown_caller' ? t.not_a_party_prompt : 'builtin:wrong_pin'
    return { prompt: prompt ?? null, callbackUrl: t.unmatched_callback_url ?? null }
  }

  async of(tenantId: string, requestId = ''): Promise<TenantPolicy> {
    const t = await this.tenant(tenantId, requestId)
    return { sharing: t.number_sharing, allowedCountries: t.allowed_countries }
  }

  private tenant(tenantId: string, requestId: string): Promise<Tenant> {
    return this.cache.get(tenantId, () => this.bus.request(identity.getTenant, { tenant_id: tenantId }, { requestId }))
  }

  invalidate(tenantId: string): void {
    this.cache.invalidate(tenantId)
  }

  /** Forgets every tenant (the bus reconnected: `identity.tenant.updated` events may have been missed). */
  clear(): void {
    this.cache.clear()
  }
}
