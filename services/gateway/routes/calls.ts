/** `/v1/calls`: originate (click-to-call) and call records with their callback deliveries. */
import { Type as T } from '@sinclair/typebox'
import { CALL_STATUSES, calls, OriginateInput } from '../../../shared/contracts/calls'
import { Cursor } from '../../../shared/contracts/common'
import { endpoint, tenant } from '../endpoint'

export const callEndpoints = [
  endpoint({
    method: 'POST',
    path: '/v1/calls/originate',
    access: tenant('calls:write'),
    tags: ['tenant'],
    summary: 'Originate',
    operationId: 'originate_v1_calls_originate_post',
    description:
      "Rings the caller party, then the callee, from the session's masked number, and bridges them (third-party call control). " +
      '`caller_id`/`callee_id` are `driver`, `customer`, or one of the session\'s two numbers; by default the driver calls the customer. ' +
      'Answers at once with `{call_id, session_id, status: "initiated", …}`; the call runs on. With `state_callback` (an absolute http(s) URL) ' +
      'each selected event of `state_callback_events` (`initiated`, `ringing`, `answered`, `completed`; default all) is POSTed there in order, ' +
      'signed with `X-Masking-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under your webhook secret.',
    body: OriginateInput,
    errors: {
      404: 'No such session of yours (`session_not_found`)',
      409: 'The session is not open (`session_not_open`)',
      503: 'No SIP server is connected (`sip_unavailable`)',
    },
    idempotent: true,
    handle: ({ bus, ctx, body }) => bus.request(calls.originate, body, { ...ctx, timeoutMs: 5000 }),
  }),
  endpoint({
    method: 'GET',
    path: '/v1/calls',
    access: tenant('calls:read'),
    tags: ['tenant'],
    summary: 'List Calls',
    operationId: 'list_calls_v1_calls_get',
    description: 'Call records (inbound bridged calls and originated ones), newest first. Filter by `session_id` and `status`. ' +
      'Page with `offset`, or with `cursor` (the reply\'s `next_cursor`, null on the last page), whose cost does not grow with depth. ' +
      '`total` is exact up to 10,000 (`total_relation: "eq"`), else a lower bound (`"gte"`).',
    query: T.Object({
      limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
      offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
      session_id: T.Optional(T.String({ minLength: 1, maxLength: 64, title: 'Session Id' })),
      status: T.Union([...CALL_STATUSES.map((s) => T.Literal(s)), T.Literal('all')], { default: 'all', title: 'Status' }),
      cursor: T.Optional(Cursor),
    }),
    handle: ({ bus, ctx, query }) => bus.request(calls.list, query, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/v1/calls/{call_id}',
    access: tenant('calls:read'),
    tags: ['tenant'],
    summary: 'Get Call',
    operationId: 'get_call_v1_calls__call_id__get',
    description: 'A call record with `callbacks`: each state callback delivery, its status and every attempt.',
    params: T.Object({ call_id: T.String({ minLength: 1, maxLength: 64, title: 'Call Id' }) }),
    errors: { 404: 'No such call of yours (`call_not_found`)' },
    handle: ({ bus, ctx, params }) => bus.request(calls.get, { call_id: params.call_id }, ctx),
  }),
]
