/**
 * Tenants' signing secrets, fetched from identity (`identity.webhook_secret.get`) and kept for a
 * minute; a rotation anywhere evicts the copy at once (`identity.webhook_secret.rotated`). During
 * a rotation's grace period there are two: the current one first, then the previous one.
 */
import type { Bus } from '../../../shared/bus/bus'
import { LoadingCache } from '../../../shared/cache'
import { identity } from '../../../shared/contracts/identity'

interface Secrets {
  list: string[]
  /** The previous secret stops signing then (0: none), so the entry is not kept past it. */
  previousUntil: number
}

export class WebhookSecrets {
  private readonly cache: LoadingCache<string, Secrets>

  constructor(private readonly bus: Bus, ttlMs = 60_000) {
    this.cache = new LoadingCache<string, Secrets>({ ttlMs, ttlOf: (s, now) => (s.previousUntil > now ? s.previousUntil - now : Infinity) })
    this.cache.invalidateOn(bus, identity.webhookSecretRotated, ({ tenant_id }) => tenant_id)
  }

  async get(tenantId: string): Promise<string[]> {
    return (await this.cache.get(tenantId, () => this.load(tenantId))).list
  }

  private async load(tenantId: string): Promise<Secrets> {
    const r = await this.bus.request(identity.getWebhookSecret, {}, { tenantId, requestId: `callbacks-${tenantId}` })
    const now = Date.now()
    const previousUntil = r.previous_expires_at ? Date.parse(r.previous_expires_at) : 0
    const list = r.previous_webhook_secret && previousUntil > now ? [r.webhook_secret, r.previous_webhook_secret] : [r.webhook_secret]
    return { list, previousUntil: list.length > 1 ? previousUntil : 0 }
  }
}
