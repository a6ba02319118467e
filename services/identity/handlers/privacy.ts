import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import type { IdempotencyStore } from '../../../shared/idempotency'
import { erasePhone, listErasures } from '../erasures'

export function servePrivacy(bus: Bus, database: Database, idem: IdempotencyStore): void {
  const { db } = database
  // The stored replay holds the counts and the number's hash, never the number (the request is kept only as its hash).
  bus.serve(identity.erasePhone, ({ phone, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: identity.erasePhone.subject, request: { phone } }, () => erasePhone(db, bus, tenantId, phone, actor, ctx))
  })
  bus.serve(identity.listErasures, (page, ctx) => listErasures(db, requireTenant(ctx), page))
}
