import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { did } from '../../../shared/contracts/did'
import type { Database } from '../../../shared/db/database'
import { knownNumbers, listAssignments, lookupNumber, tenantNumbers } from '../assignments'

export function serveTenant(bus: Bus, database: Database): void {
  const { db } = database
  bus.serve(did.listAssignments, (q, ctx) => listAssignments(db, requireTenant(ctx), q))
  bus.serve(did.tenantNumbers, ({ tenant_id, after, limit }) => tenantNumbers(db, tenant_id, { after, limit }))
  bus.serve(did.lookupNumber, ({ e164 }) => lookupNumber(db, e164))
  bus.serve(did.knownNumbers, async ({ numbers }) => ({ known: await knownNumbers(db, numbers) }))
}
