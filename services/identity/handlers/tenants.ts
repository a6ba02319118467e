import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { listAudit } from '../audit'
import { createTenant, getTenant, listTenants, updateTenant, type RetentionBounds } from '../tenants'
import { OPERATOR, type IdempotencyStore } from '../../../shared/idempotency'
import type { WebhookSecretStore } from '../webhook-secret-store'

/** A replayed tenant create names the tenant and its key, with neither secret (shown once, never stored). */
const withoutSecrets = (data: unknown) => {
  const d = data as { tenant: unknown; api_key: Record<string, unknown> }
  return { tenant: d.tenant, api_key: { ...d.api_key, api_key: null, api_key_shown_once: true } }
}

export function serveTenants(bus: Bus, database: Database, idem: IdempotencyStore, secrets: WebhookSecretStore, bounds?: RetentionBounds): void {
  const { db } = database
  bus.serve(identity.createTenant, async (input, ctx) => {
    const r: { tenant: { id: string }; webhook_secret?: string } = await idem.run({ tenantId: OPERATOR, key: ctx.idempotencyKey, operation: identity.createTenant.subject, request: input, storeAs: withoutSecrets }, () =>
      createTenant(db, input, ctx.requestId, secrets),
    )
    // A replay carries the tenant's current signing secret, read afresh rather than kept.
    return (r.webhook_secret ? r : { ...r, webhook_secret: (await secrets.current(r.tenant.id)).secret }) as never
  })
  bus.serve(identity.listTenants, (page) => listTenants(db, page))
  bus.serve(identity.getTenant, ({ tenant_id }) => getTenant(db, tenant_id))
  bus.serve(identity.updateTenant, async ({ tenant_id, patch }, ctx) => {
    const tenant = await updateTenant(db, tenant_id, patch, bounds)
    bus.publish(identity.tenantUpdated, { tenant_id }, ctx)
    return tenant
  })
  bus.serve(identity.listAudit, (page, ctx) => listAudit(db, requireTenant(ctx), page))
}
