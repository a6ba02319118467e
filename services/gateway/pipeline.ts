/** The request pipeline every endpoint runs through (see endpoint.ts). */
import type { Bus } from '../../shared/bus/bus'
import { AppError, validationError, type ValidationIssue } from '../../shared/errors'
import { newId } from '../../shared/ids'
import type { Logger } from '../../shared/log'
import { httpRequests } from '../../shared/metrics'
import { admit, type AdmissionDeps } from './admission'
import { clientAddress, type TrustedProxies } from './client-address'
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
  anonymous: AdmissionDeps['anonymous']
  usage: KeyUsageReporter
  adminToken?: string
  trustProxy: TrustedProxies
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : newId('req')
}

export function sourceIp(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, trusted: TrustedProxies): string | null {
  return clientAddress(server?.requestIP(request)?.address ?? null, request.headers.get('x-forwarded-for'), trusted)
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
    const principal = await admit(ep.access, deps, request, headers, requestId, () => sourceIp(request, server, deps.trustProxy))
    if (principal) deps.usage.note(principal.key_id)

    const issues: ValidationIssue[] = []
    let query: unknown = {}
    let params: unknown = {}
    let body: unknown
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
