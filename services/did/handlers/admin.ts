import type { Bus, BusContext } from '../../../shared/bus/bus'
import { did } from '../../../shared/contracts/did'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { assign, release, resume, suspend, type Change } from '../assignments'
import { importNumbers, listPool } from '../inventory'

export function serveAdmin(bus: Bus, database: Database, cooldownHours: number): void {
  const { db } = database
  // Announced after the commit, so whoever hears it and asks back sees the new state.
  const announce = (ctx: BusContext) => (c: Change) => {
    if (c.changed) {
      const a = c.assignment
      bus.publish(
        did.assignmentChanged,
        { tenant_id: a.tenant_id, assignment_id: a.id, did_id: a.did_id, e164: a.e164, country: a.country, status: a.status, changed_at: new Date().toISOString() },
        ctx,
      )
    }
    return c.assignment
  }

  bus.serve(did.importNumbers, ({ numbers }) => importNumbers(db, numbers))
  bus.serve(did.listPool, (q) => listPool(db, q))
  bus.serve(did.assign, async ({ e164, tenant_id }, ctx) => {
    // The tenant must exist (404 tenant_not_found otherwise); identity owns that answer.
    await bus.request(identity.getTenant, { tenant_id }, { requestId: ctx.requestId })
    return assign(db, e164, tenant_id).then(announce(ctx))
  })
  bus.serve(did.release, ({ e164 }, ctx) => release(db, e164, cooldownHours).then(announce(ctx)))
  bus.serve(did.suspend, ({ e164 }, ctx) => suspend(db, e164).then(announce(ctx)))
  bus.serve(did.resume, ({ e164 }, ctx) => resume(db, e164).then(announce(ctx)))
}
