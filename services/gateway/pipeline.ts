/** The request pipeline every endpoint runs through (see endpoint.ts). */
import type { Bus } from '../../shared/bus/bus'
import type { Principal } from '../../shared/contracts/identity'
import { AppError, validationError, type ValidationIssue } from '../../shared/errors'
import { newId } from '../../shared/ids'
import type { Logger } from '../../shared/log'
import { httpRequests, rateLimited } from '../../shared/metrics'
import { authenticate, checkAdmin } from './auth'
import { Reply, type Endpoint } from './endpoint'
import { errorResponse, toAppError } from './http-errors'
import type { KeyCache } from './key-cache'
import type { KeyUsageReporter } from './key-usage'
import type { RateLimiter } from './rate-limit'
import { validateBody, validateStrings } from './validation'

export const MAX_BODY_BYTES = 64 * 1024

export interface GatewayDeps {
  bus: Bus
  log: Logger
  keys: KeyCache
  limiter: RateLimiter
  usage: KeyUsageReporter
  adminToken?: string
  trustProxy: boolean
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : newId('req')
}

function sourceIp(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = request.headers.get('x-forwarded-for')
    if (xff) return xff.split(',')[0]!.trim()
  }
  return server?.requestIP(request)?.address ?? null
}

async function readJson(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) throw new AppError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`)
  const text = await request.text()
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new AppError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`)
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    const type = request.headers.get('content-type')
    if (type && !/json/i.test(type)) throw new AppError('unsupported_media_type', 'send the body as JSON (Content-Type: application/json)')
    throw validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }])
  }
}

/** Reads at most `maxBytes` of a raw body; a larger one is a 422 naming its size (it is not read further). */
async function readBytes(request: Request, spec: NonNullable<Endpoint['binaryBody']>): Promise<Uint8Array> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!spec.contentTypes.includes(type)) {
    throw new AppError('unsupported_media_type', `send the body as ${spec.contentTypes.join(' or ')} (got ${type || 'no Content-Type'})`)
  }
  const tooBig = (n: number | string) =>
    validationError([{ loc: ['body', 'size'], msg: `the file is ${n} bytes; at most ${spec.maxBytes} bytes are accepted`, type: 'prompt_size' }])
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > spec.maxBytes) throw tooBig(declared)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = request.body?.getReader()
  for (;;) {
    const r = await reader?.read()
    if (!r || r.done) break
    total += r.value.byteLength
    if (total > spec.maxBytes) {
      await reader!.cancel().catch(() => {})
      throw tooBig(`more than ${spec.maxBytes}`)
    }
    chunks.push(r.value)
  }
  return Buffer.concat(chunks)
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

export async function runEndpoint(
  ep: Endpoint,
  deps: GatewayDeps,
  request: Request,
  rawParams: Record<string, string>,
  server: { requestIP(r: Request): { address: string } | null } | null,
): Promise<Response> {
  const started = performance.now()
  const requestId = requestIdOf(request.headers)
  const headers = new Headers({ 'x-request-id': requestId })
  let status = 500
  try {
    let principal: Principal | undefined
    if (ep.access.kind === 'admin') checkAdmin(request.headers, deps.adminToken)
    else if (ep.access.kind === 'tenant') {
      principal = await authenticate(request.headers, deps.keys, deps.bus, requestId)
      if (!principal.scopes.includes(ep.access.scope)) {
        throw new AppError('insufficient_scope', `this API key lacks the ${ep.access.scope} scope`, { extra: { required_scope: ep.access.scope } })
      }
      const limit = deps.limiter.limitFor(principal.rate_limit_per_second)
      const d = deps.limiter.check(principal.key_id, limit)
      headers.set('ratelimit-limit', String(d.limit))
      headers.set('ratelimit-remaining', String(d.remaining))
      headers.set('ratelimit-reset', String(d.resetSeconds))
      if (!d.allowed) {
        rateLimited.inc()
        headers.set('retry-after', String(d.retryAfterSeconds))
        throw new AppError('rate_limited', `rate limit of ${limit.ratePerSecond} requests per second exceeded; retry after ${d.retryAfterSeconds}s`)
      }
      deps.usage.note(principal.key_id)
    }

    const issues: ValidationIssue[] = []
    let query: unknown = {}
    let params: unknown = {}
    let body: unknown
    let bytes: Uint8Array | undefined
    if (ep.query) {
      const url = new URL(request.url)
      const r = validateStrings(ep.query, Object.fromEntries(url.searchParams), 'query')
      if (r.ok) query = r.value
      else issues.push(...r.issues)
    }
    if (ep.params) {
      const r = validateStrings(ep.params, rawParams, 'path')
      if (r.ok) params = r.value
      else issues.push(...r.issues)
    }
    if (ep.body) {
      const r = validateBody(ep.body, await readJson(request))
      if (r.ok) body = r.value
      else issues.push(...r.issues)
    } else if (ep.binaryBody) {
      bytes = await readBytes(request, ep.binaryBody)
    } else if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) {
      throw new AppError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`)
    }
    let idempotencyKey: string | undefined
    if (ep.idempotent) {
      const k = request.headers.get('idempotency-key') ?? undefined
      if (k !== undefined && !IDEMPOTENCY_KEY.test(k)) {
        issues.push({ loc: ['header', 'Idempotency-Key'], msg: 'String should be 1-255 printable ASCII characters', type: 'string_pattern_mismatch' })
      }
      idempotencyKey = k
    }
    if (issues.length) throw validationError(issues)

    const result = await ep.handle({
      query,
      params,
      body,
      bytes,
      principal: principal!,
      requestId,
      ctx: { requestId, tenantId: principal?.tenant_id, idempotencyKey },
      actor: {
        key_id: principal?.key_id ?? null,
        key_prefix: principal?.key_prefix ?? null,
        // Looked up only when a handler reads it (the audited writes do, reads do not):
        // requestIP() was ~2% of the gateway's CPU on every request.
        get source_ip() {
          return sourceIp(request, server, deps.trustProxy)
        },
      },
      bus: deps.bus,
      evictKey: (keyId: string) => deps.keys.evictKey(keyId),
    } as never)
    const reply = result instanceof Reply ? result : new Reply(200, result)
    status = reply.status
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(reply.body), { status, headers })
  } catch (e) {
    const err = toAppError(e, deps.log, requestId)
    status = err.status
    return errorResponse(err, requestId, headers)
  } finally {
    const seconds = (performance.now() - started) / 1000
    httpRequests.observe({ service: 'gateway', method: ep.method, route: ep.path, status: String(status) }, seconds)
    deps.log.debug({ request_id: requestId, method: ep.method, route: ep.path, status, ms: Math.round(seconds * 1000) }, 'request')
  }
}
