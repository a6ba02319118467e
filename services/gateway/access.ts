/**
 * Access as an Elysia macro: `{ access: tenant('sessions:read') }` on a route authenticates the
 * key, checks the scope and takes a rate-limit token (`admin` checks the operator token). It runs
 * at the transform stage, before validation, so a caller without access never gets its input
 * parsed or described, and every request (valid or not) counts against the key's limit. Then it
 * decodes and guards the body (input-guard.ts) and resolves what handlers need: the principal,
 * the bus context and the actor for the audit log.
 */
import { Elysia } from 'elysia'
import type { Bus } from '../../shared/bus/bus'
import type { Scope } from '../../shared/contracts/common'
import type { Actor, Principal } from '../../shared/contracts/identity'
import { AppError } from '../../shared/errors'
import type { Logger } from '../../shared/log'
import { rateLimited } from '../../shared/metrics'
import { authenticate, checkAdmin } from './auth'
import { guardInput } from './input-guard'
import { coerceStrings, type RouteSchemas } from './validation'
import type { KeyCache } from './key-cache'
import type { KeyUsageReporter } from './key-usage'
import type { RateLimiter } from './rate-limit'

export type Access = { kind: 'tenant'; scope: Scope } | { kind: 'admin' } | { kind: 'public' }
export const tenant = (scope: Scope): Access => ({ kind: 'tenant', scope })
export const admin: Access = { kind: 'admin' }
export const publicAccess: Access = { kind: 'public' }

export interface GatewayDeps {
  bus: Bus
  log: Logger
  keys: KeyCache
  limiter: RateLimiter
  usage: KeyUsageReporter
  adminToken?: string
  trustProxy: boolean
}

type Server = { requestIP(r: Request): { address: string } | null } | null

/** The per-request state the transform stage leaves for resolve (Elysia's context is per request). */
interface Admitted {
  principal?: Principal
}
const admitted = new WeakMap<Request, Admitted>()

const security = (a: Access): Record<string, string[]>[] =>
  a.kind === 'tenant' ? [{ ApiKeyHeader: [] }, { ApiKeyBearer: [] }] : a.kind === 'admin' ? [{ OperatorToken: [] }] : []

function sourceIp(request: Request, server: Server, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = request.headers.get('x-forwarded-for')
    if (xff) return xff.split(',')[0]!.trim()
  }
  return server?.requestIP(request)?.address ?? null
}

async function admit(a: Access, deps: GatewayDeps, request: Request, headers: Record<string, string | number>, requestId: string): Promise<Principal | undefined> {
  if (a.kind === 'admin') {
    checkAdmin(request.headers, deps.adminToken)
    return undefined
  }
  if (a.kind !== 'tenant') return undefined
  const principal = await authenticate(request.headers, deps.keys, deps.bus, requestId, Date.now(), deps.adminToken)
  if (!principal.scopes.includes(a.scope)) {
    throw new AppError('insufficient_scope', `this API key lacks the ${a.scope} scope`, { extra: { required_scope: a.scope } })
  }
  const limit = deps.limiter.limitFor(principal.rate_limit_per_second)
  const d = deps.limiter.check(principal.key_id, limit)
  headers['ratelimit-limit'] = String(d.limit)
  headers['ratelimit-remaining'] = String(d.remaining)
  headers['ratelimit-reset'] = String(d.resetSeconds)
  if (!d.allowed) {
    rateLimited.inc()
    headers['retry-after'] = String(d.retryAfterSeconds)
    throw new AppError('rate_limited', `rate limit of ${limit.ratePerSecond} requests per second exceeded; retry after ${d.retryAfterSeconds}s`)
  }
  deps.usage.note(principal.key_id)
  return principal
}

export const requestIdOf = (set: { headers: Record<string, unknown> }) => set.headers['x-request-id'] as string

let instances = 0

export function accessPlugin(deps: GatewayDeps, schemasOf: (method: string, route: string) => RouteSchemas | undefined) {
  // One per gateway app (a test may run several in one process); the route plugins share it.
  return new Elysia({ name: 'gateway:access', seed: ++instances }).decorate({ bus: deps.bus }).macro({
    access: (a: Access) => ({
      detail: { security: security(a) },
      async transform(c) {
        const requestId = requestIdOf(c.set)
        const principal = await admit(a, deps, c.request, c.set.headers as Record<string, string>, requestId)
        admitted.set(c.request, { principal })
        guardInput(c as { body: unknown; params: Record<string, string>; query: Record<string, unknown>; request: Request })
        const query = schemasOf(c.request.method, c.route)?.query
        if (query) c.query = coerceStrings(query, c.query) as typeof c.query
      },
      resolve({ request, set, server }) {
        const requestId = requestIdOf(set)
        const principal = admitted.get(request)?.principal as Principal
        const actor: Actor = {
          key_id: principal?.key_id ?? null,
          key_prefix: principal?.key_prefix ?? null,
          // Looked up only when a handler reads it (the audited writes do, reads do not):
          // requestIP() was ~2% of the gateway's CPU on every request.
          get source_ip() {
            return sourceIp(request, server as Server, deps.trustProxy)
          },
        }
        const idempotencyKey = request.headers.get('idempotency-key') ?? undefined
        return {
          principal,
          requestId,
          actor,
          /** Bus context: request id, and the tenant from the verified key (never from client input). */
          ctx: { requestId, tenantId: principal?.tenant_id, idempotencyKey },
          /** Drops a key from this gateway's cache (before replying to a revoke or rotate). */
          evictKey: (keyId: string) => deps.keys.evictKey(keyId),
        }
      },
    }),
  })
}
export type AccessPlugin = ReturnType<typeof accessPlugin>
