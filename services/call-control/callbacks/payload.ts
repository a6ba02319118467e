/** The JSON body of a state callback (DESIGN.md, state callbacks), built once and stored. */
import type { CallbackEvent, CallStatus } from '../../../shared/contracts/calls'

/** The callback of an unmatched call (no session): sent once, when it ends, to the tenant's `unmatched_callback_url`. */
export const UNMATCHED_EVENT = 'call.unmatched'

export interface CallbackSubject {
  id: string
  sessionId: string | null
  orderId: string | null
  billId: string | null
  status: CallStatus
  direction: 'inbound' | 'originate'
  fromParty: string | null
  toParty: string | null
  fromPhone: string
  endReason: string | null
  maskedE164: string
  durationSeconds: number | null
}

/** `extra`: fields of one event only (`recording` on `recording_ready`). */
export function callbackBody(call: CallbackSubject, e: { eventId: string; event: CallbackEvent | typeof UNMATCHED_EVENT; sequence: number; occurredAt: Date }, extra: Record<string, unknown> = {}): string {
  if (e.event === UNMATCHED_EVENT) {
    // The tenant may want to reach this caller: it gets the caller's number, and why the call was not bridged.
    return JSON.stringify({
      event_id: e.eventId,
      event: e.event,
      sequence: e.sequence,
      occurred_at: e.occurredAt.toISOString(),
      call_id: call.id,
      masked_e164: call.maskedE164,
      from_phone: call.fromPhone,
      reason: call.endReason,
      status: call.status,
      duration_seconds: call.durationSeconds,
    })
  }
  return JSON.stringify({
    event_id: e.eventId,
    event: e.event,
    sequence: e.sequence,
    occurred_at: e.occurredAt.toISOString(),
    call_id: call.id,
    session_id: call.sessionId,
    order_id: call.orderId,
    bill_id: call.billId,
    status: call.status,
    direction: call.direction,
    from_party: call.fromParty,
    to_party: call.toParty,
    masked_e164: call.maskedE164,
    duration_seconds: call.durationSeconds,
    ...extra,
  })
}
