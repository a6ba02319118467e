/** `/v1/sessions`: masked-number sessions (DESIGN.md, tenant REST API; contract operations). */
import { Type as T } from '@sinclair/typebox'
import { CreateSessionInput, sessions } from '../../../shared/contracts/sessions'
import { Cursor } from '../../../shared/contracts/common'
import { endpoint, tenant } from '../endpoint'

const SessionRefParams = T.Object({ session_ref: T.String({ minLength: 1, maxLength: 128, title: 'Session Ref' }) })

export const sessionEndpoints = [
  endpoint({
    method: 'POST',
    path: '/v1/sessions',
    access: tenant('sessions:write'),
    tags: ['tenant'],
    summary: 'Post Session',
    operationId: 'post_session_v1_sessions_post',
    description:
      'Creates a session between a driver and a customer and returns it with its masked number. Phones are E.164 and must differ; ' +
      '`ttl_minutes` defaults to 60 (1-10080). With `masked_e164` that number is used (404 not in the pool, 403 not actively yours, ' +
      '409 already carrying an open session); without it a free number of yours is picked, in the customer\'s country first, least ' +
      'recently used first (409 `no_masked_number_available` when none is free). An open session with the same `order_id` is a 409 ' +
      '`session_exists` naming it.',
    body: CreateSessionInput,
    errors: {
      403: 'The masked number is not actively assigned to you (`masked_number_not_assigned`)',
      404: 'The masked number is not in the pool (`masked_number_not_found`)',
      409: 'Number busy, none free, or an open session for this order exists (`session_exists`, with `session_id`)',
    },
    idempotent: true,
    handle: ({ bus, ctx, body }) => bus.request(sessions.create, body, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/v1/sessions',
    access: tenant('sessions:read'),
    tags: ['tenant'],
    summary: 'List Sessions',
    operationId: 'list_sessions_v1_sessions_get',
    description: 'Your sessions, newest first. Filter by `status` (a session past its expiry is `expired`) and `order_id`. ' +
      'Page with `offset`, or with `cursor` (the reply\'s `next_cursor`, null on the last page), whose cost does not grow with depth. ' +
      '`total` is exact up to 10,000 (`total_relation: "eq"`), else a lower bound (`"gte"`).',
    query: T.Object({
      limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
      offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
      status: T.Union([T.Literal('open'), T.Literal('completed'), T.Literal('expired'), T.Literal('all')], { default: 'all', title: 'Status' }),
      order_id: T.Optional(T.String({ minLength: 1, maxLength: 128, title: 'Order Id' })),
      cursor: T.Optional(Cursor),
    }),
    handle: ({ bus, ctx, query }) => bus.request(sessions.list, query, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/v1/sessions/{session_ref}',
    access: tenant('sessions:read'),
    tags: ['tenant'],
    summary: 'Get Session',
    operationId: 'get_session_v1_sessions__session_ref__get',
    description: '`session_ref` is a session id, or an `order_id` (then its newest session).',
    params: SessionRefParams,
    errors: { 404: 'No such session of yours' },
    handle: ({ bus, ctx, params }) => bus.request(sessions.get, { session_ref: params.session_ref }, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/v1/sessions/{session_ref}/complete',
    access: tenant('sessions:write'),
    tags: ['tenant'],
    summary: 'Complete Session',
    operationId: 'complete_session_v1_sessions__session_ref__complete_post',
    description: 'Ends an open session and frees its number. On a session that already ended: 200 with the session and `already_ended: true`.',
    params: SessionRefParams,
    errors: { 404: 'No such session of yours' },
    idempotent: true,
    handle: ({ bus, ctx, params }) => bus.request(sessions.complete, { session_ref: params.session_ref }, ctx),
  }),
]
