/**
 * Call records and their callback outbox in PostgreSQL. A call has one writer (the call session
 * on the instance that runs it), which keeps the record in memory and writes each change with a
 * conditional UPDATE (`status = <what it was>`), so a stale writer (the sweeper, a late signal)
 * can never overwrite a newer state. A change that owes a callback writes its delivery row in
 * the same transaction: the callback exists exactly when the state change does.
 */
import { and, count, desc, eq, gt, isNull, lt, type SQL } from 'drizzle-orm'
import { CALLBACK_EVENTS, type CallbackDelivery, type CallbackEvent, type CallRecord, type CallStatus } from '../../shared/contracts/calls'
import type { Page } from '../../shared/contracts/common'
import type { Db } from '../../shared/db/database'
import { AppError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { iso } from '../../shared/time'
import { applyChange, callbackEventOf, isTerminal, type CallChange, type CallPatch } from './call-state'
import { callbackBody, UNMATCHED_EVENT } from './callbacks/payload'
import { callbackDeliveries, calls } from './db/schema'

export type CallRow = typeof calls.$inferSelect
export type NewCallRow = typeof calls.$inferInsert
export type DeliveryRow = typeof callbackDeliveries.$inferSelect
export type NewDeliveryRow = typeof callbackDeliveries.$inferInsert

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

/** The delivery a call in `row`'s state owes, if it has a callback URL and chose that event. */
export function deliveryFor(row: CallRow, occurredAt: Date): NewDeliveryRow | undefined {
  if (!row.stateCallback) return undefined
  // An unmatched call (no session) reports once, at its end, as `call.unmatched`.
  const event = row.sessionId === null ? (isTerminal(row.status) ? UNMATCHED_EVENT : undefined) : callbackEventOf(row.status)
  if (!event) return undefined
  const wanted = (row.stateCallbackEvents ?? [...CALLBACK_EVENTS, UNMATCHED_EVENT]) as readonly string[]
  if (!wanted.includes(event)) return undefined
  const sequence = row.callbackSeq + 1
  const eventId = newId('evt')
  return {
    id: newId('cbd'),
    callId: row.id,
    tenantId: row.tenantId,
    sequence,
    event,
    eventId,
    url: row.stateCallback,
    body: callbackBody(row, { eventId, event: event as CallbackEvent | typeof UNMATCHED_EVENT, sequence, occurredAt }),
  }
}

const occurredAt = (r: CallRow): Date => r.endedAt ?? r.answeredAt ?? r.ringingAt ?? r.createdAt

/** A new call as its row will read once inserted (status `initiated`, nothing happened yet). */
export function draftRow(v: NewCallRow): CallRow {
  return {
    orderId: null,
    billId: null,
    stateCallback: null,
    stateCallbackEvents: null,
    callbackSeq: 0,
    sipCallId: null,
    ringingAt: null,
    answeredAt: null,
    endedAt: null,
    durationSeconds: null,
    endReason: null,
    media: null,
    ...v,
    status: 'initiated',
    createdAt: v.createdAt ?? new Date(),
  } as CallRow
}

/** A new call's row and the `initiated` callback it owes, if any. */
export function planInsert(values: NewCallRow): { row: CallRow; deliveries: NewDeliveryRow[] } {
  const draft = draftRow(values)
  const d = deliveryFor(draft, draft.createdAt)
  return { row: { ...draft, callbackSeq: d ? d.sequence : 0 }, deliveries: d ? [d] : [] }
}

/**
 * Several changes folded over a row, in order (a call's ring, answer and end can arrive while its
 * previous write is still under way): the row after each change that applied, the final row, and
 * the callbacks owed, numbered on from the row's last sequence.
 */
export function foldChanges(before: CallRow, changes: CallChange[]): { after: CallRow; steps: CallRow[]; deliveries: NewDeliveryRow[] } {
  let row = before
  const steps: CallRow[] = []
  const deliveries: NewDeliveryRow[] = []
  for (const change of changes) {
    const patch: CallPatch | null = applyChange(row, change)
    if (!patch) continue
    const next: CallRow = { ...row, ...patch }
    const d = deliveryFor(next, occurredAt(next))
    if (d) {
      next.callbackSeq = d.sequence
      deliveries.push(d)
    }
    steps.push(next)
    row = next
  }
  return { after: row, steps, deliveries }
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

export async function listCalls(db: Db, tenantId: string, q: Page & { session_id?: string; status?: CallStatus | 'all' }) {
  const conds: SQL[] = [eq(calls.tenantId, tenantId)]
  if (q.session_id) conds.push(eq(calls.sessionId, q.session_id))
  if (q.status && q.status !== 'all') conds.push(eq(calls.status, q.status))
  const where = and(...conds)
  const [rows, [total]] = await Promise.all([
    db.select().from(calls).where(where).orderBy(desc(calls.id)).limit(q.limit).offset(q.offset),
    db.select({ n: count() }).from(calls).where(where),
  ])
  return { items: rows.map(toRecord), limit: q.limit, offset: q.offset, total: Number(total?.n ?? 0) }
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
