/**
 * Tenants' signing secrets, fetched from identity (`identity.webhook_secret.get`) and kept for a
 * minute; a rotation anywhere evicts the copy at once (`identity.webhook_secret.rotated`).
 */
import type { Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'

export class WebhookSecrets {
  private readonly cache = new Map<string, { secret: string; until: number }>()

  constructor(private readonly bus: Bus, private readonly ttlMs = 60_000) {
    bus.subscribe(identity.webhookSecretRotated, ({ tenant_id }) => void this.cache.delete(tenant_id))
  }

  async get(tenantId: string): Promise<string> {
    const hit = this.cache.get(tenantId)
    if (hit && hit.until > Date.now()) return hit.secret
    const r = await this.bus.request(identity.getWebhookSecret, {}, { tenantId, requestId: `callbacks-${tenantId}` })
    this.cache.set(tenantId, { secret: r.webhook_secret, until: Date.now() + this.ttlMs })
    return r.webhook_secret
  }
}
