/**
 * calls.* subjects: originate (third-party call control), call records and their callback
 * delivery attempts, and the `calls.call.<status>` events published on every state change.
 */
import { Type as T, type Static } from '@sinclair/typebox'
import { event, request } from './define'
import { Cursor, cursorListOf, Empty, listOf, literals, Nullable, NullableTimestamp, Page, Ping, Timestamp } from './common'
import { Party } from './sessions'

export const CALL_STATUSES = ['initiated', 'ringing', 'answered', 'completed', 'busy', 'no_answer', 'failed', 'canceled'] as const
export type CallStatus = (typeof CALL_STATUSES)[number]
export const CallStatusSchema = literals(CALL_STATUSES)

/** The end states: a call in one of them never changes again. */
export const TERMINAL_STATUSES: readonly CallStatus[] = ['completed', 'busy', 'no_answer', 'failed', 'canceled']

export const CallDirection = T.Union([T.Literal('inbound'), T.Literal('originate')])
export type CallDirection = Static<typeof CallDirection>

/** The events a tenant can ask callbacks for; every end state is reported as `completed`. */
export const CALLBACK_EVENTS = ['initiated', 'ringing', 'answered', 'completed', 'recording_ready'] as const
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number]

/** One direction of a call's media, as rtpengine counted it (named by who sent it). */
export const MediaDirection = T.Object({
  packets: T.Integer({ description: 'RTP packets rtpengine received from this party' }),
  bytes: T.Integer(),
  packets_lost: Nullable(T.Integer({ description: 'lost packets reported by the receiving side over RTCP' })),
  loss: Nullable(T.Number({ description: 'loss ratio 0–1 from RTCP reports' })),
  jitter_ms: Nullable(T.Number()),
  mos: Nullable(T.Number({ description: 'average MOS 1–5 computed by rtpengine where RTCP allows' })),
})

/** A call's media figures from rtpengine at its end. */
export const CallMediaStats = T.Object({ from_caller: MediaDirection, from_callee: MediaDirection })
export type CallMediaStats = Static<typeof CallMediaStats>

export const CallRecord = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  /** Null for an unmatched call: the caller matched no session (or typed no valid PIN), heard a prompt and was hung up. */
  session_id: Nullable(T.String()),
  direction: CallDirection,
  status: CallStatusSchema,
  from_party: Nullable(Party),
  to_party: Nullable(Party),
  from_phone: T.String(),
  to_phone: Nullable(T.String()),
  masked_e164: T.String(),
  bill_id: Nullable(T.String()),
  created_at: Timestamp,
  ringing_at: NullableTimestamp,
  answered_at: NullableTimestamp,
  ended_at: NullableTimestamp,
  /** Whole seconds from answer to end; 0 for a call that ended unanswered; null while it runs. */
  duration_seconds: Nullable(T.Integer()),
  /** Why it ended, with the SIP cause where there was one, e.g. `callee_busy (SIP 486 Busy Here)`. */
  end_reason: Nullable(T.String()),
  /** rtpengine's figures (packets, bytes, loss, jitter, MOS each way); null until the call ends or when it never had media. */
  media: Nullable(CallMediaStats),
})
export type CallRecord = Static<typeof CallRecord>

export const CallbackAttempt = T.Object({
  at: Timestamp,
  /** The receiver's HTTP status, or null when no response came (timeout, refused, DNS). */
  status_code: Nullable(T.Integer()),
  error: Nullable(T.String()),
  duration_ms: T.Integer(),
})

export const CallbackDelivery = T.Object({
  id: T.String(),
  event: T.String(),
  sequence: T.Integer(),
  event_id: T.String(),
  url: T.String(),
  /** `pending` (queued or waiting for a retry), `delivered`, or `failed` (given up or refused). */
  status: T.Union([T.Literal('pending'), T.Literal('delivered'), T.Literal('failed')]),
  attempts: T.Integer(),
  next_attempt_at: NullableTimestamp,
  delivered_at: NullableTimestamp,
  last_status_code: Nullable(T.Integer()),
  last_error: Nullable(T.String()),
  attempt_log: T.Array(CallbackAttempt),
  created_at: Timestamp,
})
export type CallbackDelivery = Static<typeof CallbackDelivery>

/** A call record with its callback deliveries (GET /v1/calls/{call_id}). */
export const CallWithCallbacks = T.Composite([CallRecord, T.Object({ callbacks: T.Array(CallbackDelivery) })])
export type CallWithCallbacks = Static<typeof CallWithCallbacks>

export const OriginateInput = T.Object({
  session_id: T.String({ minLength: 1, maxLength: 64, title: 'Session Id' }),
  bill_id: T.Optional(Nullable(T.String({ maxLength: 128, title: 'Bill Id' }))),
  callee_id: T.Optional(Nullable(T.String({ maxLength: 32, title: 'Callee Id' }))),
  caller_id: T.Optional(Nullable(T.String({ maxLength: 32, title: 'Caller Id' }))),
  state_callback: T.Optional(Nullable(T.String({ maxLength: 2048, title: 'State Callback' }))),
  state_callback_events: T.Optional(Nullable(T.Array(T.String({ maxLength: 32 }), { maxItems: 8, title: 'State Callback Events' }))),
}, { additionalProperties: false })
export type OriginateInput = Static<typeof OriginateInput>

export const OriginateReply = T.Composite([T.Object({ call_id: T.String() }), CallRecord])
export type OriginateReply = Static<typeof OriginateReply>

export const CallListQuery = T.Object({
  ...Page.properties,
  session_id: T.Optional(T.String({ maxLength: 64 })),
  status: T.Optional(T.Union([CallStatusSchema, T.Literal('all')])),
  cursor: T.Optional(Cursor),
})
export type CallListQuery = Static<typeof CallListQuery>

/** A tenant's uploaded prompt (its audio is not in this view). */
export const Prompt = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  name: T.String(),
  /** `pcm16` or `mulaw`. */
  encoding: T.String(),
  sample_rate: T.Integer(),
  duration_ms: T.Integer(),
  size_bytes: T.Integer(),
  created_at: Timestamp,
})
export type Prompt = Static<typeof Prompt>

/** An upload as it travels to call-control: the WAV's bytes, base64 (the gateway bounds its size first). */
export const PromptUpload = T.Object({
  name: T.String({ minLength: 1, maxLength: 80 }),
  audio_base64: T.String({ maxLength: 800_000 }),
})

const PromptRefParam = T.Object({ prompt_id: T.String({ maxLength: 64 }) })

/** A call the platform answered only to tell the caller it cannot be bridged (per-tenant prompt), for the `call.unmatched` callback. */
export const UnmatchedReason = T.Union([T.Literal('no_session'), T.Literal('unknown_caller'), T.Literal('wrong_pin')])

export const calls = {
  ping: request('calls.health.ping', Empty, Ping),
  originate: request('calls.call.originate', OriginateInput, OriginateReply),
  get: request('calls.call.get', T.Object({ call_id: T.String({ maxLength: 64 }) }), CallWithCallbacks),
  list: request('calls.call.list', CallListQuery, cursorListOf(CallRecord)),
  // tenant prompts (tenant from the `tenant-id` header)
  createPrompt: request('calls.prompt.create', PromptUpload, Prompt),
  listPrompts: request('calls.prompt.list', Page, listOf(Prompt)),
  getPrompt: request('calls.prompt.get', PromptRefParam, Prompt),
  deletePrompt: request('calls.prompt.delete', PromptRefParam, T.Object({ id: T.String(), deleted: T.Literal(true) })),
  /** Anonymises an E.164 number in the tenant's ended calls and their stored callbacks (identity asks); 409 `phone_in_live_call` while one runs. */
  erasePhone: request('calls.privacy.erase', T.Object({ phone: T.String({ maxLength: 20 }) }), T.Object({ calls: T.Integer(), callback_deliveries: T.Integer(), idempotency_records: T.Integer() })),
}

/** `calls.call.<status>`: one event per state change, carrying the record as it now is. */
export const callEvents = Object.fromEntries(CALL_STATUSES.map((s) => [s, event(`calls.call.${s}`, CallRecord)])) as Record<
  CallStatus,
  ReturnType<typeof event<typeof CallRecord>>
>
