/**
 * The tenant's webhook signing secret: call-control reads it to sign state callbacks, the tenant
 * reads and rotates it through the gateway. Rotation replaces it at once; every reader hears
 * `identity.webhook_secret.rotated` and drops its cached copy.
 */
import { eq, sql } from 'drizzle-orm'
import { generateWebhookSecret } from '../../../shared/api-key'
import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { AppError } from '../../../shared/errors'
import { tenants } from '../db/schema'

export function serveWebhookSecret(bus: Bus, database: Database): void {
  const { db } = database

  bus.serve(identity.getWebhookSecret, async (_, ctx) => {
    const tenantId = requireTenant(ctx)
    const [r] = await db.select({ secret: tenants.webhookSecret }).from(tenants).where(eq(tenants.id, tenantId))
    if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
    return { tenant_id: tenantId, webhook_secret: r.secret }
  })

  bus.serve(identity.rotateWebhookSecret, async (_, ctx) => {
    const tenantId = requireTenant(ctx)
    const secret = generateWebhookSecret()
    const [r] = await db
      .update(tenants)
      .set({ webhookSecret: secret, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId))
      .returning({ id: tenants.id })
    if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
    bus.publish(identity.webhookSecretRotated, { tenant_id: tenantId }, ctx)
    return { tenant_id: tenantId, webhook_secret: secret }
  })
}
