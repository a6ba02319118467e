/**
 * Tenants' signing secrets, fetched from identity (`identity.webhook_secret.get`) and kept for a
 * minute; a rotation anywhere evicts the copy at once (`identity.webhook_secret.rotated`). During
 * a rotation's grace period there are two: the current one first, then the previous one.
 */
import type { Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'

export class WebhookSecrets {
  private readonly cache = new Map<string, { secrets: string[]; until: number }>()

  constructor(private readonly bus: Bus, private readonly ttlMs = 60_000) {
    bus.subscribe(identity.webhookSecretRotated, ({ tenant_id }) => void this.cache.delete(tenant_id))
  }

  async get(tenantId: string): Promise<string[]> {
    const now = Date.now()
    const hit = this.cache.get(tenantId)
    if (hit && hit.until > now) return hit.secrets
    const r = await this.bus.request(identity.getWebhookSecret, {}, { tenantId, requestId: `callbacks-${tenantId}` })
    const previousUntil = r.previous_expires_at ? Date.parse(r.previous_expires_at) : 0
    const secrets = r.previous_webhook_secret && previousUntil > now ? [r.webhook_secret, r.previous_webhook_secret] : [r.webhook_secret]
    // Not kept past the previous secret's end, so it stops signing on time.
    const until = Math.min(now + this.ttlMs, previousUntil > now ? previousUntil : Infinity)
    this.cache.set(tenantId, { secrets, until })
    return secrets
  }
}
