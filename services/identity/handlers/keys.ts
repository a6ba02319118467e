import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { createKey, listKeys, revokeKey, rotateKey, verifyKey } from '../keys'
import type { LastUsedWriter } from '../last-used'

export function serveKeys(bus: Bus, database: Database, lastUsed: LastUsedWriter): void {
  const { db } = database
  bus.serve(identity.verifyKey, ({ key_hash }) => verifyKey(db, key_hash))
  bus.serve(identity.listKeys, (page, ctx) => listKeys(db, requireTenant(ctx), page))

  bus.serve(identity.createKey, async ({ input, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    const created = await createKey(db, tenantId, input, actor, ctx.requestId)
    bus.publish(identity.keyCreated, { tenant_id: tenantId, key_id: created.id }, ctx)
    return created
  })

  bus.serve(identity.revokeKey, async ({ key_id, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    const { changed, ...reply } = await revokeKey(db, tenantId, key_id, actor, ctx.requestId)
    if (changed) bus.publish(identity.keyRevoked, { tenant_id: tenantId, key_id }, ctx)
    return reply
  })

  bus.serve(identity.rotateKey, async ({ key_id, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    const reply = await rotateKey(db, tenantId, key_id, actor, ctx.requestId)
    bus.publish(identity.keyRevoked, { tenant_id: tenantId, key_id }, ctx)
    bus.publish(identity.keyCreated, { tenant_id: tenantId, key_id: reply.new_api_key_id }, ctx)
    return reply
  })

  // One identity instance takes each batch of uses.
  bus.subscribe(
    identity.keyUsed,
    ({ uses }) => {
      for (const u of uses) lastUsed.note(u.key_id, u.at)
    },
    { queue: 'identity.key.used' },
  )
}
