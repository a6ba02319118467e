/**
 * Who gets in, and how often (before validation and the handler):
 * - tenant endpoints: a verified key with the scope, within the tenant's rate limit, which holds
 *   across all its keys and all gateways (rate-limit.ts, ADR 0007);
 * - requests without a valid credential (missing, malformed, unknown or refused keys, a wrong
 *   operator token, public endpoints): limited per source address, so nobody can make the
 *   gateway ask identity about garbage keys at line rate. A key this gateway has verified and
 *   cached is never held back by its address's budget.
 */
import { hashApiKey, isWellFormedApiKey } from '../../shared/api-key'
import type { Bus } from '../../shared/bus/bus'
import type { Principal } from '../../shared/contracts/identity'
import { AppError, isAppError } from '../../shared/errors'
import { rateLimited } from '../../shared/metrics'
import { authenticate, checkAdmin, presentedKey } from './auth'
import type { Access } from './access'
import type { KeyCache } from './key-cache'
import type { Decision, Limit, RateLimiter } from './rate-limit'

export interface AdmissionDeps {
  bus: Bus
  keys: KeyCache
  /** Per tenant, shared between gateways. */
  limiter: RateLimiter
  /** Per source address, for traffic without a valid credential. */
  anonymous: { limiter: RateLimiter; limit: Limit }
  adminToken?: string
}

/** The answer's headers, as Elysia's `set.headers`. */
type Headers = Record<string, string | number>

function refuse(d: Decision, headers: Headers, what: string): never {
  rateLimited.inc()
  headers['retry-after'] = String(d.retryAfterSeconds)
  throw new AppError('rate_limited', `${what}; retry after ${d.retryAfterSeconds}s`)
}

function setLimitHeaders(d: Decision, headers: Headers): void {
  headers['ratelimit-limit'] = String(d.limit)
  headers['ratelimit-remaining'] = String(d.remaining)
  headers['ratelimit-reset'] = String(d.resetSeconds)
}

/** Spends one of the address's unauthenticated requests, or refuses. */
function chargeAddress(deps: AdmissionDeps, address: string | null, headers: Headers): void {
  const d = deps.anonymous.limiter.check(`ip:${address ?? 'unknown'}`, deps.anonymous.limit)
  if (!d.allowed) refuse(d, headers, `too many unauthenticated requests from your address (limit ${deps.anonymous.limit.ratePerSecond} per second)`)
}

/** Lets the request in, or throws 401/403/429; returns the principal on tenant endpoints. */
export async function admit(
  access: Access,
  deps: AdmissionDeps,
  request: Request,
  headers: Headers,
  requestId: string,
  address: () => string | null,
): Promise<Principal | undefined> {
  if (access.kind === 'public') {
    chargeAddress(deps, address(), headers)
    return undefined
  }
  if (access.kind === 'admin') {
    try {
      checkAdmin(request.headers, deps.adminToken)
    } catch (e) {
      chargeAddress(deps, address(), headers)
      throw e
    }
    return undefined
  }
  const key = presentedKey(request.headers)
  const hash = key && isWellFormedApiKey(key) ? hashApiKey(key) : undefined
  const known = hash ? deps.keys.peek(hash) : undefined
  let principal: Principal
  if (known) principal = await authenticate(request.headers, deps.keys, deps.bus, requestId, Date.now(), deps.adminToken, { hash: hash! })
  else {
    // Not verified here yet: an address that has spent its budget on bad keys waits first;
    // only a refusal costs it (a good key's first use is free).
    const bucket = `ip:${address() ?? 'unknown'}`
    const d = deps.anonymous.limiter.peek(bucket, deps.anonymous.limit)
    if (!d.allowed) refuse(d, headers, `too many unauthenticated requests from your address (limit ${deps.anonymous.limit.ratePerSecond} per second)`)
    try {
      principal = await authenticate(request.headers, deps.keys, deps.bus, requestId, Date.now(), deps.adminToken, hash ? { hash } : undefined)
    } catch (e) {
      if (isAppError(e) && e.status === 401) deps.anonymous.limiter.check(bucket, deps.anonymous.limit)
      throw e
    }
  }
  if (!principal.scopes.includes(access.scope)) {
    throw new AppError('insufficient_scope', `this API key lacks the ${access.scope} scope`, { extra: { required_scope: access.scope } })
  }
  const limit = deps.limiter.limitFor(principal.rate_limit_per_second)
  const d = deps.limiter.check(principal.tenant_id, limit)
  setLimitHeaders(d, headers)
  if (!d.allowed) refuse(d, headers, `rate limit of ${limit.ratePerSecond} requests per second for your tenant exceeded`)
  return principal
}
