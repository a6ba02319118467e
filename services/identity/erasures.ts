/**
 * Erasure of a phone number (`POST /v1/privacy/erasures`, issue 12 item 14): identity checks the
 * number, asks sessions and then call-control to anonymise it in the tenant's records (each owns
 * its rows), and writes the audit record with what they touched. The number itself is never
 * stored here: the record keeps its SHA-256.
 *
 * Order: sessions first, because an open session with the number refuses the erasure (409
 * `phone_in_open_session`) before anything is touched. A call still running (409
 * `phone_in_live_call`, rare: its session already ended) stops it after sessions' part; both
 * parts are idempotent, so the retry the 409 asks for completes it.
 */
import { createHash } from 'node:crypto'
import { count, desc, eq } from 'drizzle-orm'
import type { Bus, BusContext } from '../../shared/bus/bus'
import { calls } from '../../shared/contracts/calls'
import type { Page } from '../../shared/contracts/common'
import type { Actor, Erasure } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import type { Db } from '../../shared/db/database'
import { validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { parseE164 } from '../../shared/phone'
import { erasures } from './db/schema'

/** Hex SHA-256 of the E.164 number (what the audit record keeps instead of it). */
export const phoneSha256 = (e164: string) => createHash('sha256').update(e164).digest('hex')

/** Each service's part may scan all of a tenant's rows (no index on phones: creates stay cheap). */
const PART_TIMEOUT_MS = 10_000

type ErasureRow = typeof erasures.$inferSelect

function toErasure(r: ErasureRow): Erasure {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    phone_sha256: r.phoneSha256,
    touched: { sessions: r.sessions, calls: r.calls, callback_deliveries: r.callbackDeliveries, idempotency_records: r.idempotencyRecords },
    actor_key_id: r.actorKeyId,
    actor_key_prefix: r.actorKeyPrefix,
    request_id: r.requestId,
    created_at: r.createdAt.toISOString(),
  }
}

export async function erasePhone(db: Db, bus: Bus, tenantId: string, phone: string, actor: Actor, ctx: BusContext): Promise<Erasure> {
  const parsed = parseE164(phone)
  if (!parsed) throw validationError([{ loc: ['body', 'phone'], msg: 'Value should be a valid phone number in E.164 format, e.g. +14155550123', type: 'value_error' }])
  const part = { requestId: ctx.requestId, tenantId, timeoutMs: PART_TIMEOUT_MS }
  const s = await bus.request(sessions.erasePhone, { phone: parsed.e164 }, part)
  const c = await bus.request(calls.erasePhone, { phone: parsed.e164 }, part)
  const [row] = await db
    .insert(erasures)
    .values({
      id: newId('era'),
      tenantId,
      phoneSha256: phoneSha256(parsed.e164),
      sessions: s.sessions,
      calls: c.calls,
      callbackDeliveries: c.callback_deliveries,
      idempotencyRecords: s.idempotency_records + c.idempotency_records,
      actorKeyId: actor.key_id,
      actorKeyPrefix: actor.key_prefix,
      requestId: ctx.requestId || null,
      sourceIp: actor.source_ip,
    })
    .returning()
  return toErasure(row!)
}

export async function listErasures(db: Db, tenantId: string, page: Page) {
  const where = eq(erasures.tenantId, tenantId)
  const [rows, [total]] = await Promise.all([
    db.select().from(erasures).where(where).orderBy(desc(erasures.id)).limit(page.limit).offset(page.offset),
    db.select({ n: count() }).from(erasures).where(where),
  ])
  return { items: rows.map(toErasure), limit: page.limit, offset: page.offset, total: Number(total?.n ?? 0) }
}
