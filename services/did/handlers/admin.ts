import type { Bus, BusContext } from '../../../shared/bus/bus'
import { did } from '../../../shared/contracts/did'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { OPERATOR, type IdempotencyStore } from '../../../shared/idempotency'
import { assign, release, resume, suspend, type Change } from '../assignments'
import { importNumbers, listPool } from '../inventory'

export function serveAdmin(bus: Bus, database: Database, cooldownHours: number, idem: IdempotencyStore): void {
  const { db } = database
  /** Operator commands honour Idempotency-Key: a retry answers the first outcome. */
  const once = <T>(subject: string, request: unknown, ctx: BusContext, work: () => Promise<T>) =>
    idem.run({ tenantId: OPERATOR, key: ctx.idempotencyKey, operation: subject, request }, work)
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

  bus.serve(did.importNumbers, (req, ctx) => once(did.importNumbers.subject, req, ctx, () => importNumbers(db, req.numbers)))
  bus.serve(did.listPool, (q) => listPool(db, q))
  bus.serve(did.assign, (req, ctx) =>
    once(did.assign.subject, req, ctx, async () => {
      // The tenant must exist (404 tenant_not_found otherwise); identity owns that answer.
      await bus.request(identity.getTenant, { tenant_id: req.tenant_id }, { requestId: ctx.requestId })
      return assign(db, req.e164, req.tenant_id).then(announce(ctx))
    }),
  )
  bus.serve(did.release, (req, ctx) => once(did.release.subject, req, ctx, () => release(db, req.e164, cooldownHours).then(announce(ctx))))
  bus.serve(did.suspend, (req, ctx) => once(did.suspend.subject, req, ctx, () => suspend(db, req.e164).then(announce(ctx))))
  bus.serve(did.resume, (req, ctx) => once(did.resume.subject, req, ctx, () => resume(db, req.e164).then(announce(ctx))))
}
