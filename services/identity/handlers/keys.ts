import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import { createKey, listKeys, revokeKey, rotateKey, verifyKey } from '../keys'
import { OPERATOR, type IdempotencyStore } from '../../../shared/idempotency'
import type { LastUsedWriter } from '../last-used'

/**
 * A replayed create or rotate answers the same key record without its plaintext: the plaintext is
 * shown once and never stored, not even for idempotency. The client that lost the first answer
 * sees which key was made (no duplicate is created) and can revoke it.
 */
const withoutPlaintext = (data: unknown) => {
  const { api_key: _shownOnce, ...rest } = data as { api_key?: string }
  return { ...rest, api_key: null, api_key_shown_once: true }
}

export function serveKeys(bus: Bus, database: Database, lastUsed: LastUsedWriter, idem: IdempotencyStore): void {
  const { db } = database
  bus.serve(identity.verifyKey, ({ key_hash }) => verifyKey(db, key_hash))
  bus.serve(identity.listKeys, (page, ctx) => listKeys(db, requireTenant(ctx), page))

  bus.serve(identity.createKey, async ({ input, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: identity.createKey.subject, request: input, storeAs: withoutPlaintext }, async () => {
      const created = await createKey(db, tenantId, input, actor, ctx.requestId)
      bus.publish(identity.keyCreated, { tenant_id: tenantId, key_id: created.id }, ctx)
      return created
    })
  })

  bus.serve(identity.operatorCreateKey, async ({ tenant_id, input, actor }, ctx) => {
    return idem.run({ tenantId: OPERATOR, key: ctx.idempotencyKey, operation: identity.operatorCreateKey.subject, request: { tenant_id, input }, storeAs: withoutPlaintext }, async () => {
      const created = await createKey(db, tenant_id, input, { ...actor, key_id: null, key_prefix: null }, ctx.requestId)
      bus.publish(identity.keyCreated, { tenant_id, key_id: created.id }, ctx)
      return created
    })
  })

  bus.serve(identity.revokeKey, async ({ key_id, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: identity.revokeKey.subject, request: { key_id } }, async () => {
      const { changed, ...reply } = await revokeKey(db, tenantId, key_id, actor, ctx.requestId)
      if (changed) bus.publish(identity.keyRevoked, { tenant_id: tenantId, key_id }, ctx)
      return reply
    })
  })

  bus.serve(identity.rotateKey, async ({ key_id, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: identity.rotateKey.subject, request: { key_id }, storeAs: withoutPlaintext }, async () => {
      const reply = await rotateKey(db, tenantId, key_id, actor, ctx.requestId)
      bus.publish(identity.keyRevoked, { tenant_id: tenantId, key_id }, ctx)
      bus.publish(identity.keyCreated, { tenant_id: tenantId, key_id: reply.new_api_key_id }, ctx)
      return reply
    })
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
