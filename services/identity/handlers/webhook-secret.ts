/**
 * The tenant's webhook signing secret: call-control reads it to sign state callbacks, the tenant
 * reads and rotates it through the gateway. A rotation keeps the previous secret valid for a grace
 * period (callbacks are signed with both meanwhile); every reader hears
 * `identity.webhook_secret.rotated` and drops its cached copy.
 */
import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity, type WebhookSecret } from '../../../shared/contracts/identity'
import type { IdempotencyStore } from '../../../shared/idempotency'
import type { CurrentSecrets, WebhookSecretStore } from '../webhook-secret-store'

const toReply = (tenantId: string, s: CurrentSecrets): WebhookSecret => ({
  tenant_id: tenantId,
  webhook_secret: s.secret,
  previous_webhook_secret: s.previous?.secret ?? null,
  previous_expires_at: s.previous?.expiresAt.toISOString() ?? null,
})

export function serveWebhookSecret(bus: Bus, secrets: WebhookSecretStore, idem: IdempotencyStore): void {
  bus.serve(identity.getWebhookSecret, async (_, ctx) => {
    const tenantId = requireTenant(ctx)
    return toReply(tenantId, await secrets.current(tenantId))
  })

  bus.serve(identity.rotateWebhookSecret, async (_, ctx) => {
    const tenantId = requireTenant(ctx)
    // The idempotency record keeps no secret: a replay answers the secrets as they are now.
    const r: Partial<WebhookSecret> = await idem.run({ tenantId, key: ctx.idempotencyKey, operation: identity.rotateWebhookSecret.subject, request: {}, storeAs: () => ({ rotated: true }) }, async () => {
      const rotated = await secrets.rotate(tenantId)
      bus.publish(identity.webhookSecretRotated, { tenant_id: tenantId }, ctx)
      return toReply(tenantId, rotated)
    })
    return r.webhook_secret ? (r as WebhookSecret) : toReply(tenantId, await secrets.current(tenantId))
  })
}
