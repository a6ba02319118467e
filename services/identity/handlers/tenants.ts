import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { listAudit } from '../audit'
import { createTenant, getTenant, listTenants, updateTenant, type RetentionBounds } from '../tenants'

export function serveTenants(bus: Bus, database: Database, bounds?: RetentionBounds): void {
  const { db } = database
  bus.serve(identity.createTenant, (input, ctx) => createTenant(db, input, ctx.requestId))
  bus.serve(identity.listTenants, (page) => listTenants(db, page))
  bus.serve(identity.getTenant, ({ tenant_id }) => getTenant(db, tenant_id))
  bus.serve(identity.updateTenant, async ({ tenant_id, patch }, ctx) => {
    const tenant = await updateTenant(db, tenant_id, patch, bounds)
    bus.publish(identity.tenantUpdated, { tenant_id }, ctx)
    return tenant
  })
  bus.serve(identity.listAudit, (page, ctx) => listAudit(db, requireTenant(ctx), page))
}
