import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { sessions } from '../../../shared/contracts/sessions'
import type { IdempotencyStore } from '../../../shared/idempotency'
import type { SessionLifecycle } from '../session-lifecycle'

export function serveSessions(bus: Bus, life: SessionLifecycle, idem: IdempotencyStore): void {
  bus.serve(sessions.create, (input, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: sessions.create.subject, request: input }, () => life.create(tenantId, input, ctx))
  })
  bus.serve(sessions.get, ({ session_ref }, ctx) => life.get(requireTenant(ctx), session_ref))
  bus.serve(sessions.list, (q, ctx) => life.list(requireTenant(ctx), q))
  bus.serve(sessions.complete, ({ session_ref }, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: sessions.complete.subject, request: { session_ref } }, () => life.complete(tenantId, session_ref, ctx))
  })
  bus.serve(sessions.update, ({ session_ref, ...change }, ctx) => life.update(requireTenant(ctx), session_ref, change, ctx))
  bus.serve(sessions.route, (req, ctx) => life.route(req, ctx))
  bus.serve(sessions.routePin, (req, ctx) => life.routePin(req, ctx))
  bus.serve(sessions.checkDestinations, ({ numbers }, ctx) => life.checkDestinations(requireTenant(ctx), numbers, ctx))
}
