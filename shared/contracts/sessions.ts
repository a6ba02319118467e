/**
 * sessions.* subjects. `sessions.route` is what call control asks for every inbound call: whom to
 * bridge the caller to and with which caller id, or why to refuse.
 */
import { Type as T, type Static } from '@sinclair/typebox'
import { request } from './define'
import { Empty, Ping } from './common'

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

export const sessions = {
  ping: request('sessions.health.ping', Empty, Ping),
  route: request('sessions.route', RouteRequest, RouteDecision),
}
