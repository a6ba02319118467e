/**
 * The call record's state rules, without I/O: which changes are allowed, what each one sets, and
 * which callback event it reports. A record goes initiated → (ringing) → (answered) → an end
 * state, and never leaves an end state; late or repeated signals are ignored rather than errors,
 * because SIP legs report in whatever order the network delivers. A change that owes a callback
 * carries its delivery row, so the writer stores both in one statement: the callback exists
 * exactly when the state change does.
 */
import { CALLBACK_EVENTS, TERMINAL_STATUSES, type CallbackEvent, type CallMediaStats, type CallStatus } from '../../shared/contracts/calls'
import { newId } from '../../shared/ids'
import { callbackBody, UNMATCHED_EVENT } from './callbacks/payload'
import type { callbackDeliveries, calls } from './db/schema'

export type CallRow = typeof calls.$inferSelect
export type NewCallRow = typeof calls.$inferInsert
export type DeliveryRow = typeof callbackDeliveries.$inferSelect
export type NewDeliveryRow = typeof callbackDeliveries.$inferInsert

export type EndStatus = 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled'

export type CallChange =
  | { kind: 'ringing'; at: Date }
  | { kind: 'answered'; at: Date }
  | { kind: 'ended'; status: EndStatus; reason: string; at: Date; media?: CallMediaStats }

export interface CallTimes {
  status: CallStatus
  createdAt: Date
  ringingAt: Date | null
  answeredAt: Date | null
}

export interface CallPatch {
  status: CallStatus
  ringingAt?: Date
  answeredAt?: Date
  endedAt?: Date
  durationSeconds?: number
  endReason?: string
  media?: CallMediaStats
}

export const isTerminal = (s: CallStatus) => TERMINAL_STATUSES.includes(s)

/** The patch a change makes to a record, or null when the change no longer applies. */
export function applyChange(current: CallTimes, change: CallChange): CallPatch | null {
  if (isTerminal(current.status)) return null
  switch (change.kind) {
    case 'ringing':
      return current.status === 'initiated' ? { status: 'ringing', ringingAt: change.at } : null
    case 'answered':
      return current.status === 'initiated' || current.status === 'ringing' ? { status: 'answered', answeredAt: change.at } : null
    case 'ended': {
      const answered = current.status === 'answered'
      // An answered call always ends `completed` (the reason says how); an unanswered one cannot.
      const status: EndStatus = answered ? 'completed' : change.status === 'completed' ? 'canceled' : change.status
      const endedAt = change.at < current.createdAt ? current.createdAt : change.at
      return {
        status,
        endedAt,
        durationSeconds: answered && current.answeredAt ? durationSeconds(current.answeredAt, endedAt) : 0,
        endReason: change.reason,
        ...(change.media ? { media: change.media } : {}),
      }
    }
  }
}

export function durationSeconds(answeredAt: Date, endedAt: Date): number {
  return Math.max(0, Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000))
}

/** The callback event a status reports: every end state is `completed`. */
export function callbackEventOf(status: CallStatus): CallbackEvent {
  return isTerminal(status) ? 'completed' : (status as CallbackEvent)
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
