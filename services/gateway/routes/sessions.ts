/** `/v1/sessions`: masked-number sessions (DESIGN.md, tenant REST API; contract operations). */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { Cursor, PageParams } from '../../../shared/contracts/common'
import { CreateSessionInput, SESSION_STATUSES, sessions, UpdateSessionInput } from '../../../shared/contracts/sessions'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { IdempotencyHeaders, responses } from '../responses'

const SessionRefParams = T.Object({ session_ref: T.String({ minLength: 1, maxLength: 128, title: 'Session Ref' }) })
const notFound = { 404: { description: 'No such session of yours (`session_not_found`).', codes: ['session_not_found'] } } as const

export const sessionRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:sessions' })
    .use(access)
    .use(models)
    .post('/v1/sessions', ({ bus, ctx, body }) => bus.request(sessions.create, body, ctx), {
      access: tenant('sessions:write'),
      parse: 'json',
      body: CreateSessionInput,
      headers: IdempotencyHeaders,
      response: responses(
        'Session',
        tenant('sessions:write'),
        {
          403: { description: 'The masked number is not actively assigned to you (`masked_number_not_assigned`).', codes: ['masked_number_not_assigned'] },
          404: { description: 'The masked number is not in the pool (`masked_number_not_found`).', codes: ['masked_number_not_found'] },
          409: {
            description:
              'An open session for this `order_id` exists (`session_exists`, with its `session_id`), the masked number is busy (`masked_number_busy`), or none is free (`no_masked_number_available`); or a request with this Idempotency-Key is still running.',
            codes: ['session_exists', 'masked_number_busy', 'no_masked_number_available', 'idempotency_key_in_use'],
          },
          422: { description: 'The Idempotency-Key was used with another body (`idempotency_key_reused`).', codes: ['idempotency_key_reused'] },
        },
        { body: true },
      ),
      detail: {
        tags: ['sessions'],
        summary: 'Post Session',
        operationId: 'post_session_v1_sessions_post',
        description:
          'Creates a session between a driver and a customer and returns it with its masked number. Phones are E.164 and must differ; ' +
          '`ttl_minutes` defaults to 60 (1-10080). With `masked_e164` that number is used (404 not in the pool, 403 not actively yours, ' +
          "409 already carrying an open session); without it a free number of yours is picked, in the customer's country first, least " +
          'recently used first (409 `no_masked_number_available` when none is free). An open session with the same `order_id` is a 409 ' +
          '`session_exists` naming it. With `pin_required: true` the reply carries `driver_pin` and `customer_pin` (`pin_length` digits, 4-8, ' +
          'default 6): a caller to the number hears "enter your PIN", types it, and is bridged to the other party of the session whose PIN it ' +
          'typed. PIN sessions share numbers with each other (PINs are unique among the open PIN sessions of a number; the number is picked ' +
          'least recently used first among those carrying no caller-id session), so any number of them fit on a small pool. ' +
          "`call_time_limit_seconds` and `ring_timeout_seconds` hold this session's calls below the platform's limits; `greeting_prompt` " +
          'plays to the caller before the other party is rung.',
      },
    })
    .patch('/v1/sessions/:session_ref', ({ bus, ctx, params, body }) => bus.request(sessions.update, { session_ref: params.session_ref, ...body }, ctx), {
      access: tenant('sessions:write'),
      params: SessionRefParams,
      parse: 'json',
      body: UpdateSessionInput,
      response: responses(
        'Session',
        tenant('sessions:write'),
        { ...notFound, 409: { description: 'The session has ended (`session_not_open`).', codes: ['session_not_open'] } },
        { body: true },
      ),
      detail: {
        tags: ['sessions'],
        summary: 'Update Session',
        operationId: 'update_session_v1_sessions__session_ref__patch',
        description:
          'Changes an open session: `ttl_minutes` (1-10080) makes it end that many minutes from now, longer or shorter (routing, the expiry ' +
          'sweeper and number sharing follow at once); `call_time_limit_seconds`, `ring_timeout_seconds` and `greeting_prompt` change its ' +
          'limits and greeting (null clears one). A session that has ended is 409 `session_not_open`: create a new one.',
      },
    })
    .get('/v1/sessions', ({ bus, ctx, query }) => bus.request(sessions.list, query, ctx), {
      access: tenant('sessions:read'),
      query: query({
        ...PageParams,
        status: choice([...SESSION_STATUSES, 'all'], { default: 'all', title: 'Status' }),
        order_id: T.Optional(T.String({ minLength: 1, maxLength: 128, title: 'Order Id' })),
        cursor: T.Optional(Cursor),
      }),
      response: responses('SessionList', tenant('sessions:read'), {}, { validates: true }),
      detail: {
        tags: ['sessions'],
        summary: 'List Sessions',
        operationId: 'list_sessions_v1_sessions_get',
        description: 'Your sessions, newest first. Filter by `status` (a session past its expiry is `expired`) and `order_id`. ' +
          'Page with `offset`, or with `cursor` (the reply\'s `next_cursor`, null on the last page), whose cost does not grow with depth. ' +
          '`total` is exact up to 10,000 (`total_relation: "eq"`), else a lower bound (`"gte"`).',
      },
    })
    .get('/v1/sessions/:session_ref', ({ bus, ctx, params }) => bus.request(sessions.get, { session_ref: params.session_ref }, ctx), {
      access: tenant('sessions:read'),
      params: SessionRefParams,
      response: responses('Session', tenant('sessions:read'), notFound, { validates: true }),
      detail: {
        tags: ['sessions'],
        summary: 'Get Session',
        operationId: 'get_session_v1_sessions__session_ref__get',
        description: '`session_ref` is a session id, or an `order_id` (then its newest session).',
      },
    })
    .post('/v1/sessions/:session_ref/complete', ({ bus, ctx, params }) => bus.request(sessions.complete, { session_ref: params.session_ref }, ctx), {
      access: tenant('sessions:write'),
      params: SessionRefParams,
      headers: IdempotencyHeaders,
      response: responses('CompletedSession', tenant('sessions:write'), notFound, { validates: true }),
      detail: {
        tags: ['sessions'],
        summary: 'Complete Session',
        operationId: 'complete_session_v1_sessions__session_ref__complete_post',
        description: 'Ends an open session and frees its number. On a session that already ended: 200 with the session and `already_ended: true`.',
      },
    })
