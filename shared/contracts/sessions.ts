/**
 * sessions.* subjects. `sessions.route` is what call control asks for every inbound call: whom to
 * bridge the caller to and with which caller id, or why to refuse.
 */
import { Type as T, type Static } from '@sinclair/typebox'
import { event, request } from './define'
import { Empty, listOf, Nullable, NullableTimestamp, Ping, Timestamp } from './common'

export const Party = T.Union([T.Literal('driver'), T.Literal('customer')])
export type Party = Static<typeof Party>

export const RouteRequest = T.Object({
  /** The dialled masked number, E.164. */
  to: T.String({ maxLength: 20 }),
  /** The caller's number, E.164. */
  from: T.String({ maxLength: 20 }),
})

export const RouteRefusalReason = T.Union([
  T.Literal('no_session'), // no open session on this number (SIP 404)
  T.Literal('unknown_caller'), // the caller is neither party of the number's open session (SIP 403)
  T.Literal('number_suspended'), // the masked number is suspended (SIP 403)
  T.Literal('number_not_assigned'), // not in the pool or not assigned to any tenant (SIP 404)
  T.Literal('destination_not_allowed'), // the party to ring fails the destination policy (SIP 403)
])

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
  }),
  T.Object({
    action: T.Literal('refuse'),
    reason: RouteRefusalReason,
    /** The SIP final response call control sends. */
    sip_status: T.Union([T.Literal(403), T.Literal(404)]),
  }),
])
export type RouteDecision = Static<typeof RouteDecision>

export const SessionStatus = T.Union([T.Literal('open'), T.Literal('completed'), T.Literal('expired')])
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
})
export type Session = Static<typeof Session>

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
}, { additionalProperties: false })
export type CreateSessionInput = Static<typeof CreateSessionInput>

export const SessionListQuery = T.Object({
  limit: T.Integer({ minimum: 1, maximum: 500 }),
  offset: T.Integer({ minimum: 0 }),
  status: T.Union([SessionStatus, T.Literal('all')]),
  order_id: T.Optional(T.String({ maxLength: 128 })),
})

const SessionRef = T.Object({ session_ref: T.String({ minLength: 1, maxLength: 128 }) })

export const sessions = {
  ping: request('sessions.health.ping', Empty, Ping),
  route: request('sessions.route', RouteRequest, RouteDecision),
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
  list: request('sessions.session.list', SessionListQuery, listOf(Session)),
  complete: request('sessions.session.complete', SessionRef, T.Composite([Session, T.Object({ already_ended: T.Optional(T.Boolean()) })])),
  // events, each carrying the session as it now is
  created: event('sessions.session.created', Session),
  completed: event('sessions.session.completed', Session),
  expired: event('sessions.session.expired', Session),
}
