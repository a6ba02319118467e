/**
 * Reading call records: a row as the API's record, one call with its callback deliveries, a
 * tenant's pages, and the unended calls the sweeper walks. Writing is call-recorder.ts (one
 * writer a call, conditional on the status it last wrote) through call-writer.ts (batched
 * statements); the rules of both are call-state.ts.
 */
import { and, count, desc, eq, gt, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { CallbackDelivery, CallListQuery, CallRecord } from '../../shared/contracts/calls'
import { checkPageQuery, decodeCursor, knownTotal, listReply, TOTAL_CAP, type ListReply } from '../../shared/list-page'
import type { Db } from '../../shared/db/database'
import { AppError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { iso } from '../../shared/time'
import type { CallRow, DeliveryRow } from './call-state'
import { callbackDeliveries, calls } from './db/schema'

export type { CallRow, DeliveryRow, NewCallRow, NewDeliveryRow } from './call-state'

export function toRecord(r: CallRow): CallRecord {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    session_id: r.sessionId,
    direction: r.direction,
    status: r.status,
    from_party: r.fromParty,
    to_party: r.toParty,
    from_phone: r.fromPhone,
    to_phone: r.toPhone,
    masked_e164: r.maskedE164,
    bill_id: r.billId,
    created_at: r.createdAt.toISOString(),
    ringing_at: iso(r.ringingAt),
    answered_at: iso(r.answeredAt),
    ended_at: iso(r.endedAt),
    duration_seconds: r.durationSeconds,
    end_reason: r.endReason,
    media: r.media ?? null,
  }
}

export function toDelivery(d: DeliveryRow): CallbackDelivery {
  return {
    id: d.id,
    event: d.event,
    sequence: d.sequence,
    event_id: d.eventId,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    delivered_at: iso(d.deliveredAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    attempt_log: (d.attemptLog ?? []) as CallbackDelivery['attempt_log'],
    created_at: d.createdAt.toISOString(),
  }
}

export async function loadCall(db: Db, callId: string): Promise<CallRow | undefined> {
  const [r] = await db.select().from(calls).where(eq(calls.id, callId))
  return r
}

export async function getCall(db: Db, tenantId: string, callId: string) {
  const [r] = await db
    .select()
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.tenantId, tenantId)))
  // Another tenant's call does not exist for you.
  if (!r) throw new AppError('call_not_found', `call ${callId} not found`)
  const deliveries = await db.select().from(callbackDeliveries).where(eq(callbackDeliveries.callId, r.id)).orderBy(callbackDeliveries.sequence)
  return { ...toRecord(r), callbacks: deliveries.map(toDelivery) }
}

/**
 * A page of this tenant's call records, newest first (shared/list-page.ts): each filter is one
 * index range (`calls_tenant_idx`, `calls_tenant_session_idx`, `calls_tenant_status_idx`).
 */
export async function listCalls(db: Db, tenantId: string, q: CallListQuery): Promise<ListReply<CallRecord>> {
  checkPageQuery(q)
  const conds: SQL[] = [eq(calls.tenantId, tenantId)]
  if (q.session_id) conds.push(eq(calls.sessionId, q.session_id))
  if (q.status && q.status !== 'all') conds.push(eq(calls.status, q.status))
  const where = and(...conds)
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'call_')
  const rows = await db
    .select()
    .from(calls)
    .where(after === undefined ? where : and(where, lt(calls.id, after)))
    .orderBy(desc(calls.id))
    .limit(q.limit + 1)
    .offset(q.offset)
  const counted =
    knownTotal(rows.length, q) ??
    Number((await db.select({ n: count() }).from(db.select({ one: sql`1` }).from(calls).where(where).limit(TOTAL_CAP + 1).as('c')))[0]?.n ?? 0)
  return listReply(rows, q, counted, toRecord)
}

/** The smallest call id of a moment: ids begin with their creation time, so they sort by it. */
export function callIdAt(at: Date): string {
  return newId('call', at.getTime()).slice(0, 'call_'.length + 10)
}

/**
 * Calls with ids in (afterId, beforeId) that have not ended, oldest first: a range walk of the
 * primary key (no index on the state columns, which would cost every state change an index write).
 */
export async function staleCalls(db: Db, afterId: string, beforeId: string, limit = 200): Promise<CallRow[]> {
  return db
    .select()
    .from(calls)
    .where(and(gt(calls.id, afterId), lt(calls.id, beforeId), isNull(calls.endedAt)))
    .orderBy(calls.id)
    .limit(limit)
}
