/**
 * sessions.* subjects. `sessions.route` is what call control asks for every inbound call: whom to
 * bridge the caller to and with which caller id, or why to refuse.
 */
import { Type as T, type Static } from '@sinclair/typebox'
import { event, request } from './define'
import { Cursor, cursorListOf, Empty, listOf, literals, Nullable, NullableTimestamp, Page, Ping, PromptRef, Timestamp } from './common'

export const Party = T.Union([T.Literal('driver'), T.Literal('customer')])
export type Party = Static<typeof Party>

export const RouteRequest = T.Object({
  /** The dialled masked number, E.164. */
  to: T.String({ maxLength: 20 }),
  /** The caller's number, E.164. */
  from: T.String({ maxLength: 20 }),
})

/** PIN length bounds and default for PIN sessions. */
export const PIN_LENGTH = { min: 4, max: 8, default: 6 } as const
/** Bounds of the per-session limits; call-control applies the lower of these and its own `MAX_CALL_SECONDS` / `RING_TIMEOUT_S`. */
export const SESSION_LIMITS = { callTimeLimit: { min: 10, max: 86_400 }, ringTimeout: { min: 5, max: 300 } } as const

export const RouteRefusalReason = T.Union([
  T.Literal('no_session'), // no open session on this number (SIP 404)
  T.Literal('unknown_caller'), // the caller is neither party of the number's open session (SIP 403)
  T.Literal('number_suspended'), // the masked number is suspended (SIP 403)
  T.Literal('number_not_assigned'), // not in the pool or not assigned to any tenant (SIP 404)
  T.Literal('wrong_pin'), // a PIN that opens no session on this number (after `collect_pin`)
  T.Literal('destination_not_allowed'), // the party to ring fails the destination policy (SIP 403)
])

/** What a bridged call may be held to by its session; null = the platform's own limits. */
const CallLimits = {
  call_time_limit_seconds: T.Optional(Nullable(T.Integer())),
  ring_timeout_seconds: T.Optional(Nullable(T.Integer())),
  /** Played to the caller before the other party is rung. */
  greeting_prompt: T.Optional(Nullable(T.String())),
  /** The call is recorded; both parties hear the recording notice first. */
  record: T.Optional(T.Boolean()),
}

export const RouteDecision = T.Union([
  T.Object({
    action: T.Literal('bridge'),
    tenant_id: T.String(),
    session_id: T.String(),
    order_id: T.Union([T.String(), T.Null()]),
    /** The party to ring, E.164. */
    target: T.String(),
    /** The caller id to present to the target: the masked number. */
    caller_id: T.String(),
    from_party: Party,
    to_party: Party,
    ...CallLimits,
  }),
  T.Object({
    action: T.Literal('refuse'),
    reason: RouteRefusalReason,
    /** The SIP final response call control sends (when it does not answer to play `prompt`). */
    sip_status: T.Union([T.Literal(403), T.Literal(404)]),
    /** The number's tenant, when it has one. */
    tenant_id: T.Optional(Nullable(T.String())),
    /** The tenant's chosen prompt for this refusal: answer, play it, hang up. Null/absent = the SIP refusal. */
    prompt: T.Optional(Nullable(T.String())),
    /** Where the tenant wants a `call.unmatched` callback for this call; absent = none. */
    callback_url: T.Optional(Nullable(T.String())),
  }),
  /** The number carries PIN sessions: answer, play `builtin:enter_pin`, collect RFC 4733 digits, then ask `sessions.route.pin`. */
  T.Object({
    action: T.Literal('collect_pin'),
    tenant_id: T.String(),
    /** Digits end at `#`, at this many digits, or after a pause. */
    max_digits: T.Integer(),
    /** Where the tenant wants a `call.unmatched` callback if no valid PIN is typed. */
    callback_url: T.Optional(Nullable(T.String())),
  }),
])
export type RouteDecision = Static<typeof RouteDecision>

export const SESSION_STATUSES = ['open', 'completed', 'expired'] as const
export const SessionStatus = literals(SESSION_STATUSES)
export type SessionStatus = Static<typeof SessionStatus>

/** Why a session ended: the tenant completed it, its TTL ran out, or its number was released. */
export const EndReason = T.Union([T.Literal('completed'), T.Literal('expired'), T.Literal('number_released')])
export type EndReason = Static<typeof EndReason>

export const Session = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  order_id: Nullable(T.String()),
  driver_phone: T.String(),
  customer_phone: T.String(),
  masked_e164: T.String(),
  status: SessionStatus,
  ttl_minutes: T.Integer(),
  created_at: Timestamp,
  expires_at: Timestamp,
  ended_at: NullableTimestamp,
  end_reason: Nullable(EndReason),
  /** A PIN session: callers are matched by the PIN they type, not by their number. */
  pin_required: T.Boolean(),
  pin_length: Nullable(T.Integer()),
  /** The PIN the driver types to reach the customer (PIN sessions only). */
  driver_pin: Nullable(T.String()),
  /** The PIN the customer types to reach the driver (PIN sessions only). */
  customer_pin: Nullable(T.String()),
  call_time_limit_seconds: Nullable(T.Integer()),
  ring_timeout_seconds: Nullable(T.Integer()),
  greeting_prompt: Nullable(T.String()),
  /** Its calls are recorded (both parties hear the recording notice first). */
  record: T.Boolean(),
})
export type Session = Static<typeof Session>

const limitFields = {
  call_time_limit_seconds: T.Optional(
    Nullable(
      T.Integer({
        minimum: SESSION_LIMITS.callTimeLimit.min,
        maximum: SESSION_LIMITS.callTimeLimit.max,
        title: 'Call Time Limit Seconds',
        description: `A bridged call of this session is cut after this many seconds from the answer (${SESSION_LIMITS.callTimeLimit.min}-${SESSION_LIMITS.callTimeLimit.max}; never beyond the platform's MAX_CALL_SECONDS)`,
      }),
    ),
  ),
  ring_timeout_seconds: T.Optional(
    Nullable(
      T.Integer({
        minimum: SESSION_LIMITS.ringTimeout.min,
        maximum: SESSION_LIMITS.ringTimeout.max,
        title: 'Ring Timeout Seconds',
        description: `The called party is rung for at most this long (${SESSION_LIMITS.ringTimeout.min}-${SESSION_LIMITS.ringTimeout.max}; never beyond the platform's RING_TIMEOUT_S)`,
      }),
    ),
  ),
  greeting_prompt: T.Optional(Nullable(PromptRef)),
}

/** `POST /v1/sessions` (the contract's CreateSessionBody, with bounds). Phones are checked as E.164 by the service. */
export const CreateSessionInput = T.Object({
  order_id: T.Optional(Nullable(T.String({ minLength: 1, maxLength: 128, title: 'Order Id' }))),
  driver_phone: T.String({ maxLength: 32, title: 'Driver Phone', description: 'E.164' }),
  customer_phone: T.String({ maxLength: 32, title: 'Customer Phone', description: 'E.164' }),
  ttl_minutes: T.Optional(Nullable(T.Integer({ minimum: 1, maximum: 10080, title: 'Ttl Minutes', description: 'Default 60; 1 to 10080 (7 days)' }))),
  masked_e164: T.Optional(
    Nullable(
      T.String({
        maxLength: 32,
        title: 'Masked E164',
        description: 'Optional tenant-assigned masked DID (E.164). Must exist in pool, belong to this tenant, and have no open session on that number.',
      }),
    ),
  ),
  pin_required: T.Optional(
    T.Boolean({
      default: false,
      title: 'Pin Required',
      description: 'A PIN session: callers type a PIN (one per party, in the reply) instead of being matched by caller id; PIN sessions may share a number',
    }),
  ),
  pin_length: T.Optional(T.Integer({ minimum: PIN_LENGTH.min, maximum: PIN_LENGTH.max, default: PIN_LENGTH.default, title: 'Pin Length', description: 'Digits per PIN (PIN sessions)' })),
  record: T.Optional(
    T.Boolean({ title: 'Record', description: "Record this session's calls (both parties hear the recording notice first); default: the tenant's `record_calls` setting" }),
  ),
  ...limitFields,
}, { additionalProperties: false })
export type CreateSessionInput = Static<typeof CreateSessionInput>

/** `PATCH /v1/sessions/{session_ref}`: a new life from now and/or new limits; null clears a limit. */
export const UpdateSessionInput = T.Object({
  ttl_minutes: T.Optional(T.Integer({ minimum: 1, maximum: 10080, title: 'Ttl Minutes', description: 'The session now ends this many minutes from now (1 to 10080)' })),
  ...limitFields,
}, { additionalProperties: false })
export type UpdateSessionInput = Static<typeof UpdateSessionInput>

export const PinRouteRequest = T.Object({
  to: T.String({ maxLength: 20 }),
  from: T.String({ maxLength: 20 }),
  /** The digits the caller typed. Never logged. */
  pin: T.String({ pattern: '^[0-9]{1,8}$' }),
})

export const SessionListQuery = T.Object({
  ...Page.properties,
  status: T.Union([SessionStatus, T.Literal('all')]),
  order_id: T.Optional(T.String({ maxLength: 128 })),
  cursor: T.Optional(Cursor),
})
export type SessionListQuery = Static<typeof SessionListQuery>

const SessionRef = T.Object({ session_ref: T.String({ minLength: 1, maxLength: 128 }) })

export const sessions = {
  ping: request('sessions.health.ping', Empty, Ping),
  route: request('sessions.route', RouteRequest, RouteDecision),
  /** After `collect_pin`: the session whose PIN was typed (the PIN tells who calls), or `wrong_pin`. */
  routePin: request('sessions.route.pin', PinRouteRequest, RouteDecision),
  /**
   * The destination policy for numbers the platform is about to dial for the calling tenant
   * (tenant from the `tenant-id` header): which of them are refused, and why.
   */
  checkDestinations: request(
    'sessions.destination.check',
    T.Object({ numbers: T.Array(T.String({ maxLength: 20 }), { minItems: 1, maxItems: 10 }) }),
    T.Object({ refused: T.Array(T.Object({ e164: T.String(), reason: T.String() })) }),
  ),
  // tenant commands and queries (tenant from the `tenant-id` header)
  create: request('sessions.session.create', CreateSessionInput, Session),
  /** By session id, or by order_id (its newest session). */
  get: request('sessions.session.get', SessionRef, Session),
  list: request('sessions.session.list', SessionListQuery, cursorListOf(Session)),
  update: request('sessions.session.update', T.Composite([SessionRef, UpdateSessionInput]), Session),
  complete: request('sessions.session.complete', SessionRef, T.Composite([Session, T.Object({ already_ended: T.Optional(T.Boolean()) })])),
  /** Anonymises an E.164 number in the tenant's ended sessions (identity asks, for `POST /v1/privacy/erasures`); 409 `phone_in_open_session` while one is open. */
  erasePhone: request('sessions.privacy.erase', T.Object({ phone: T.String({ maxLength: 20 }) }), T.Object({ sessions: T.Integer(), idempotency_records: T.Integer() })),
  // events, each carrying the session as it now is
  created: event('sessions.session.created', Session),
  /** Its expiry or limits changed (PATCH). */
  updated: event('sessions.session.updated', Session),
  completed: event('sessions.session.completed', Session),
  expired: event('sessions.session.expired', Session),
}
