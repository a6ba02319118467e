/** The JSON body of a state callback (DESIGN.md, state callbacks), built once and stored. */
import type { CallbackEvent, CallStatus } from '../../../shared/contracts/calls'

export interface CallbackSubject {
  id: string
  sessionId: string
  orderId: string | null
  billId: string | null
  status: CallStatus
  direction: 'inbound' | 'originate'
  fromParty: string
  toParty: string
  maskedE164: string
  durationSeconds: number | null
}

/** `extra`: fields of one event only (`recording` on `recording_ready`). */
export function callbackBody(call: CallbackSubject, e: { eventId: string; event: CallbackEvent; sequence: number; occurredAt: Date }, extra: Record<string, unknown> = {}): string {
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
