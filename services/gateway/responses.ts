/**
 * What a route documents besides its 200: the error answers its access implies (401, the
 * missing-scope 403, 429) merged with its own (an endpoint's 403 adds to the scope 403, it does
 * not replace it), each with the codes it can carry, and the headers every answer has.
 */
import { Type as T, type TSchema } from '@sinclair/typebox'
import { withHeaders } from '@elysiajs/openapi/openapi'
import type { ErrorCode } from '../../shared/errors'
import type { Access } from './access'
import type { responseModels } from './models'

export const requestIdHeader = { 'X-Request-Id': T.String({ description: 'The request id (yours if you sent a valid X-Request-Id, else ours); quoted in error bodies.' }) }
const rateHeaders = {
  'RateLimit-Limit': T.Integer({ description: 'Requests the tenant may burst (its bucket size, shared by all its keys).' }),
  'RateLimit-Remaining': T.Integer({ description: 'Requests left in the bucket now.' }),
  'RateLimit-Reset': T.Integer({ description: 'Seconds until the bucket is full again.' }),
}
const retryAfterHeader = { 'Retry-After': T.Integer({ description: 'Seconds to wait before retrying.' }) }

const ValidationIssue = T.Object(
  {
    loc: T.Array(T.Union([T.String(), T.Integer()]), { description: 'Where: `body`, `query`, `path` or `header`, then the field path.' }),
    msg: T.String(),
    type: T.String({ description: 'e.g. `missing`, `string_too_long`, `extra_forbidden`, `int_parsing`' }),
  },
  { title: 'ValidationError' },
)

const errorInfo = (codes: readonly string[]) =>
  T.Object(
    {
      code: codes.length === 1 ? T.Literal(codes[0]!) : T.Union(codes.map((c) => T.Literal(c))),
      message: T.String(),
      request_id: T.String(),
    },
    { additionalProperties: true, description: 'Some codes add fields, e.g. `session_id` on `session_exists`, `required_scope` on `insufficient_scope`.' },
  )

/** One error answer: its description, the codes it can carry, an example of the first. */
export interface ErrorDoc {
  description: string
  codes: readonly ErrorCode[]
}

const example = (code: string, message: string, detail: unknown = message) => ({ error: { code, message, request_id: 'req_01KBMQ5B8C0D2E4F6G8H0J2K4P' }, detail })

export function errorSchema(status: number, d: ErrorDoc, headers: Record<string, TSchema>): TSchema {
  const validation = status === 422 && d.codes.includes('validation_error')
  const detail = validation
    ? T.Union([T.Array(ValidationIssue), T.String()], { description: 'For `validation_error`, every issue found as `{loc, msg, type}`; otherwise the message.' })
    : T.String()
  const first = d.codes[0]!
  const ex = validation
    ? example('validation_error', 'body.scope: Extra inputs are not permitted; did you mean scopes?', [{ loc: ['body', 'scope'], msg: 'Extra inputs are not permitted; did you mean scopes?', type: 'extra_forbidden' }])
    : example(first, d.description)
  return withHeaders(T.Object({ error: errorInfo(d.codes), detail }, { description: d.description, title: validation ? 'HTTPValidationError' : undefined, examples: [ex] }), headers) as TSchema
}

const ACCESS_ERRORS: Record<Access['kind'], Record<number, ErrorDoc>> = {
  tenant: {
    401: { description: 'Missing, malformed, unknown, revoked or expired API key (or the operator token on a tenant route).', codes: ['unauthorized'] },
    403: { description: 'The key lacks the scope this operation needs (`insufficient_scope`, with `required_scope`).', codes: ['insufficient_scope'] },
    429: { description: "Over the tenant's rate limit (all its keys on all gateways together), or too many bad keys from your address: retry after `Retry-After` seconds.", codes: ['rate_limited'] },
  },
  admin: {
    401: { description: 'Missing or invalid operator token (or a tenant API key on an operator route).', codes: ['unauthorized'] },
    429: { description: 'Too many requests without a valid credential from your address: retry after `Retry-After` seconds.', codes: ['rate_limited'] },
  },
  public: { 429: { description: 'Too many unauthenticated requests from your address: retry after `Retry-After` seconds.', codes: ['rate_limited'] } },
}

const VALIDATION: ErrorDoc = { description: 'Validation error: every issue with the input at once.', codes: ['validation_error'] }
/** Any request can carry oversize headers (Bun's own limit is raised above ours where we start it). */
export const HEADERS_TOO_LARGE: ErrorDoc = { description: 'The request headers are larger than 8 KiB.', codes: ['request_header_fields_too_large'] }
const PAYLOAD: Record<number, ErrorDoc> = {
  413: { description: 'The body is larger than 64 KiB.', codes: ['payload_too_large'] },
  415: { description: 'The body is not JSON.', codes: ['unsupported_media_type'] },
}

function merge(a: ErrorDoc | undefined, b: ErrorDoc): ErrorDoc {
  if (!a) return b
  return { description: `${a.description} Or: ${b.description}`, codes: [...a.codes, ...b.codes.filter((c) => !a.codes.includes(c))] }
}

type Models = typeof responseModels

/** A named model as a response: a `$ref` in the document, validated by Elysia, typed as the model. */
export const modelResponse = <K extends keyof Models>(name: K, headers: Record<string, TSchema>): Models[K] =>
  withHeaders(T.Ref(`#/components/schemas/${name}`), headers) as unknown as Models[K]

/** The headers of an answer on a route with this access. */
const headersOf = (access: Access, status: number) => ({
  ...requestIdHeader,
  ...(access.kind === 'tenant' && status !== 401 ? rateHeaders : {}),
  ...(status === 429 ? retryAfterHeader : {}),
})

/**
 * The `response` option of a route: the model `ok` for 200, and the error answers.
 * `validates`: the route has query or path input that can fail validation; `body`: it reads a JSON body.
 * Typed as its 200 only: errors are thrown, never returned.
 */
export function responses<K extends keyof Models>(ok: K, access: Access, own: Record<number, ErrorDoc> = {}, opts: { validates?: boolean; body?: boolean } = {}): { 200: Models[K] } {
  const docs: Record<number, ErrorDoc> = { ...ACCESS_ERRORS[access.kind], 431: HEADERS_TOO_LARGE }
  if (opts.validates || opts.body) docs[422] = VALIDATION
  if (opts.body) Object.assign(docs, PAYLOAD)
  for (const [status, d] of Object.entries(own)) docs[Number(status)] = merge(docs[Number(status)], d)
  const out: Record<number, TSchema> = { 200: modelResponse(ok, headersOf(access, 200)) }
  for (const [s, d] of Object.entries(docs)) out[Number(s)] = errorSchema(Number(s), d, headersOf(access, Number(s)))
  return out as unknown as { 200: Models[K] }
}

/** `Idempotency-Key` on a POST (validated by Elysia, documented as a header parameter). */
export const IdempotencyHeaders = T.Object({
  'idempotency-key': T.Optional(
    T.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Repeat a POST safely: the same key with the same body within 24 h returns the first response again (another body: 422 `idempotency_key_reused`).',
    }),
  ),
})

/** What any route with `Idempotency-Key` can also answer. */
export const idempotencyErrors: Record<number, ErrorDoc> = {
  409: { description: 'A request with this Idempotency-Key is still running (`idempotency_key_in_use`).', codes: ['idempotency_key_in_use'] },
  422: { description: 'The Idempotency-Key was used with another body (`idempotency_key_reused`).', codes: ['idempotency_key_reused'] },
}

/** Merges route errors (later ones add to earlier ones with the same status). */
export function withErrors(...sets: Record<number, ErrorDoc>[]): Record<number, ErrorDoc> {
  const out: Record<number, ErrorDoc> = {}
  for (const set of sets) for (const [k, d] of Object.entries(set)) out[Number(k)] = merge(out[Number(k)], d)
  return out
}
