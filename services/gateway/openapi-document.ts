/**
 * The OpenAPI document, built from the endpoint declarations (their TypeBox schemas are JSON
 * Schema already) and served by Elysia's openapi plugin with its reference page at `/docs`.
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { VERSION } from '../../shared/version'
import type { Endpoint } from './endpoint'

/** TypeBox schemas carry symbols; JSON round-trip leaves plain JSON Schema. */
const plain = (s: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(s))

function parametersOf(ep: Endpoint) {
  const params: Record<string, unknown>[] = []
  const add = (where: 'path' | 'query', schema: TObject | undefined) => {
    if (!schema) return
    const required = new Set(schema.required ?? [])
    for (const [name, prop] of Object.entries(schema.properties)) {
      const p = plain(prop)
      const { description, ...rest } = p
      params.push({
        name,
        in: where,
        required: where === 'path' || (required.has(name) && p.default === undefined),
        schema: rest,
        ...(description ? { description } : {}),
      })
    }
  }
  add('path', ep.params)
  add('query', ep.query)
  if (ep.access.kind === 'tenant') {
    params.push({ name: 'X-API-Key', in: 'header', required: false, schema: { anyOf: [{ type: 'string' }, { type: 'null' }], title: 'X-Api-Key' } })
  }
  if (ep.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Repeat a POST safely: the same key with the same body within 24 h returns the first response again.',
      schema: { type: 'string', maxLength: 255 },
    })
  }
  return params
}

const json = (schema: unknown) => ({ 'application/json': { schema } })

function responsesOf(ep: Endpoint) {
  const responses: Record<string, unknown> = { 200: { description: 'Successful Response', content: json({}) } }
  if (ep.query || ep.params || ep.body || ep.binaryBody) {
    responses[422] = { description: 'Validation Error', content: json({ $ref: '#/components/schemas/HTTPValidationError' }) }
  }
  const common: Record<number, string> =
    ep.access.kind === 'tenant'
      ? { 401: 'Missing, unknown, revoked or expired API key', 403: 'The key lacks the required scope', 429: 'Rate limit exceeded (see Retry-After)' }
      : ep.access.kind === 'admin'
        ? { 401: 'Missing or invalid operator token' }
        : {}
  for (const [status, description] of Object.entries({ ...common, ...(ep.errors ?? {}) })) {
    responses[status] = { description, content: json({ $ref: '#/components/schemas/ErrorResponse' }) }
  }
  return responses
}

export function buildDocument(endpoints: Endpoint[]) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const ep of endpoints) {
    const op: Record<string, unknown> = {
      tags: ep.tags,
      summary: ep.summary,
      ...(ep.description ? { description: ep.description } : {}),
      operationId: ep.operationId ?? `${ep.method.toLowerCase()}_${ep.path.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      parameters: parametersOf(ep),
      responses: responsesOf(ep),
      security: ep.access.kind === 'tenant' ? [{ TenantApiKey: [] }, { TenantBearer: [] }] : ep.access.kind === 'admin' ? [{ OperatorToken: [] }] : [],
    }
    if (ep.body) op.requestBody = { required: true, content: json(plain(ep.body)) }
    if (ep.binaryBody) {
      op.requestBody = {
        required: true,
        description: ep.binaryBody.description,
        content: Object.fromEntries(ep.binaryBody.contentTypes.map((t) => [t, { schema: { type: 'string', format: 'binary', maxLength: ep.binaryBody!.maxBytes } }])),
      }
    }
    ;(paths[ep.path] ??= {})[ep.method.toLowerCase()] = op
  }
  return {
    info: {
      title: 'CloudTalk Networks Masking API',
      description:
        'Create a session between two parties, get a masked number, and we route the call privately. ' +
        'Authenticate every request with the `X-API-Key` header (or `Authorization: Bearer`).',
      version: VERSION,
    },
    tags: [
      { name: 'tenant', description: 'Sessions and call origination for masked calling.' },
      { name: 'DID', description: 'Inspect masked numbers assigned to your tenant.' },
      { name: 'operator', description: 'Operator API: tenants and the number pool (Authorization: Bearer $ADMIN_TOKEN).' },
    ],
    security: [{ TenantApiKey: [] }],
    paths,
    components: {
      schemas: {
        ValidationError: {
          type: 'object',
          title: 'ValidationError',
          required: ['loc', 'msg', 'type'],
          properties: {
            loc: { type: 'array', title: 'Location', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
            msg: { type: 'string', title: 'Message' },
            type: { type: 'string', title: 'Error Type' },
          },
        },
        HTTPValidationError: {
          type: 'object',
          title: 'HTTPValidationError',
          properties: {
            error: { $ref: '#/components/schemas/ErrorInfo' },
            detail: { type: 'array', title: 'Detail', items: { $ref: '#/components/schemas/ValidationError' } },
          },
        },
        ErrorInfo: {
          type: 'object',
          required: ['code', 'message', 'request_id'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
        },
        ErrorResponse: {
          type: 'object',
          required: ['error', 'detail'],
          properties: { error: { $ref: '#/components/schemas/ErrorInfo' }, detail: { type: 'string' } },
        },
      },
      securitySchemes: {
        TenantApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Per-tenant API key.' },
        TenantBearer: { type: 'http', scheme: 'bearer', description: 'The same API key as a Bearer token.' },
        OperatorToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for /admin/v1.' },
      },
    },
  }
}
