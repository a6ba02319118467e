/** `/v1/calls`: originate (click-to-call) and call records with their callback deliveries. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { Cursor, PageParams } from '../../../shared/contracts/common'
import { CALL_STATUSES, calls, OriginateInput } from '../../../shared/contracts/calls'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { IdempotencyHeaders, responses } from '../responses'

export const callRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:calls' })
    .use(access)
    .use(models)
    .post('/v1/calls/originate', ({ bus, ctx, body }) => bus.request(calls.originate, body, { ...ctx, timeoutMs: 5000 }), {
      access: tenant('calls:write'),
      parse: 'json',
      body: OriginateInput,
      headers: IdempotencyHeaders,
      response: responses(
        'OriginatedCall',
        tenant('calls:write'),
        {
          404: { description: 'No such session of yours (`session_not_found`).', codes: ['session_not_found'] },
          409: { description: 'The session is not open (`session_not_open`).', codes: ['session_not_open', 'idempotency_key_in_use'] },
          422: { description: 'The callback URL is refused (`callback_url_refused`) or the Idempotency-Key was used with another body.', codes: ['callback_url_refused', 'idempotency_key_reused'] },
          503: { description: 'No SIP server is connected (`sip_unavailable`), no media server (rtpengine) answers (`media_unavailable`), or a service is not answering.', codes: ['sip_unavailable', 'media_unavailable', 'service_unavailable'] },
        },
        { body: true },
      ),
      detail: {
        tags: ['calls'],
        summary: 'Originate',
        operationId: 'originate_v1_calls_originate_post',
        description:
          "Rings the caller party, then the callee, from the session's masked number, and bridges them (third-party call control). " +
          "`caller_id`/`callee_id` are `driver`, `customer`, or one of the session's two numbers; by default the driver calls the customer. " +
          'Answers at once with `{call_id, session_id, status: "initiated", …}`; the call runs on. With `state_callback` (an absolute http(s) URL) ' +
          'each selected event of `state_callback_events` (`initiated`, `ringing`, `answered`, `completed`; default all) is POSTed there in order, ' +
          'signed with `X-Masking-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under your webhook secret.',
      },
    })
    .get('/v1/calls', ({ bus, ctx, query }) => bus.request(calls.list, query, ctx), {
      access: tenant('calls:read'),
      query: query({
        ...PageParams,
        session_id: T.Optional(T.String({ minLength: 1, maxLength: 64, title: 'Session Id' })),
        status: choice([...CALL_STATUSES, 'all'], { default: 'all', title: 'Status' }),
        cursor: T.Optional(Cursor),
      }),
      response: responses('CallList', tenant('calls:read'), {}, { validates: true }),
      detail: {
        tags: ['calls'],
        summary: 'List Calls',
        operationId: 'list_calls_v1_calls_get',
        description: 'Call records (inbound bridged calls and originated ones), newest first. Filter by `session_id` and `status`. ' +
          'Page with `offset`, or with `cursor` (the reply\'s `next_cursor`, null on the last page), whose cost does not grow with depth. ' +
          '`total` is exact up to 10,000 (`total_relation: "eq"`), else a lower bound (`"gte"`).',
      },
    })
    .get('/v1/calls/:call_id', ({ bus, ctx, params }) => bus.request(calls.get, { call_id: params.call_id }, ctx), {
      access: tenant('calls:read'),
      params: T.Object({ call_id: T.String({ minLength: 1, maxLength: 64, title: 'Call Id' }) }),
      response: responses('Call', tenant('calls:read'), { 404: { description: 'No such call of yours (`call_not_found`).', codes: ['call_not_found'] } }, { validates: true }),
      detail: {
        tags: ['calls'],
        summary: 'Get Call',
        operationId: 'get_call_v1_calls__call_id__get',
        description: 'A call record with `callbacks`: each state callback delivery, its status and every attempt.',
      },
    })
