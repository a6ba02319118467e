/**
 * `/v1/privacy/erasures`: erase a phone number from your sessions and call records (issue 12,
 * item 14). identity checks the number, asks sessions and call-control to anonymise it in your
 * records, and keeps the audit record (the number's SHA-256, never the number).
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { ErasureInput, identity } from '../../../shared/contracts/identity'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { query } from '../params'
import { IdempotencyHeaders, idempotencyErrors, responses, withErrors } from '../responses'

const privacy = tenant('privacy:write')
/** Each service's part may scan all of the tenant's rows (identity gives each 10 s). */
const ERASE_TIMEOUT_MS = 25_000

export const privacyRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:privacy' })
    .use(access)
    .use(models)
    .post(
      '/v1/privacy/erasures',
      ({ bus, ctx, body, actor }) => bus.request(identity.erasePhone, { phone: body.phone, actor: { key_id: actor.key_id, key_prefix: actor.key_prefix, source_ip: actor.source_ip } }, { ...ctx, timeoutMs: ERASE_TIMEOUT_MS }),
      {
        access: privacy,
        parse: 'json',
        body: ErasureInput,
        headers: IdempotencyHeaders,
        response: responses(
          'Erasure',
          privacy,
          withErrors(
            {
              409: {
                description:
                  'The number is a party of an open session (`phone_in_open_session`, with `session_ids`: complete them first) or of a call still running (`phone_in_live_call`, with `call_ids`: retry once it ends).',
                codes: ['phone_in_open_session', 'phone_in_live_call'],
              },
            },
            idempotencyErrors,
          ),
          { body: true },
        ),
        detail: {
          tags: ['privacy'],
          summary: 'Erase Phone Number',
          operationId: 'erase_phone_v1_privacy_erasures_post',
          description:
            'Anonymises an E.164 number everywhere in your ended sessions and call records at once: the fields that held it ' +
            '(`driver_phone`, `customer_phone`, `from_phone`, `to_phone`) become `[redacted]`, and so does the number in stored callback ' +
            "bodies; stored Idempotency-Key replies carrying it are deleted. The other party's number is kept. Refused (409) while the number " +
            'is a party of an open session (complete it first) or of a running call. The answer is the audit record: its id, what was touched ' +
            'per kind, the SHA-256 of the number (the number itself is not kept), the acting key and the time. Erasing again touches nothing ' +
            '(all counts 0) and is audited again. Needs the `privacy:write` scope.',
        },
      },
    )
    .get('/v1/privacy/erasures', ({ bus, ctx, query }) => bus.request(identity.listErasures, query, ctx), {
      access: privacy,
      query: query({
        limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
        offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
      }),
      response: responses('ErasureList', privacy, {}, { validates: true }),
      detail: {
        tags: ['privacy'],
        summary: 'List Erasures',
        operationId: 'list_erasures_v1_privacy_erasures_get',
        description: 'The audit log of your erasures, newest first: who asked (key id and prefix), when, the SHA-256 of the number, and what was touched.',
      },
    })
