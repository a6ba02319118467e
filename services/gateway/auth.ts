/**
 * Who is calling. Tenant keys come from `X-API-Key` or `Authorization: Bearer`; malformed keys
 * are refused offline (checksum), known ones resolve through the key cache, unknown ones through
 * `identity.key.verify` (the plaintext never leaves the gateway, only its hash). Operators use
 * `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { hashApiKey, isWellFormedApiKey } from '../../shared/api-key'
import type { Bus } from '../../shared/bus/bus'
import { identity, type Principal } from '../../shared/contracts/identity'
import { AppError } from '../../shared/errors'
import { keyVerifications } from '../../shared/metrics'
import type { KeyCache } from './key-cache'

export function presentedKey(headers: Headers): string | undefined {
  const direct = headers.get('x-api-key')
  if (direct) return direct.trim()
  const auth = headers.get('authorization')
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim()
  return undefined
}

export async function authenticate(headers: Headers, cache: KeyCache, bus: Bus, requestId: string, nowMs = Date.now()): Promise<Principal> {
  const key = presentedKey(headers)
  if (!key) {
    keyVerifications.inc({ result: 'missing' })
    throw new AppError('unauthorized', 'missing API key: send it in the X-API-Key header or as Authorization: Bearer <key>')
  }
  if (!isWellFormedApiKey(key)) {
    keyVerifications.inc({ result: 'malformed' })
    throw new AppError('unauthorized', 'invalid API key')
  }
  let result: { principal: Principal; cached: boolean }
  try {
    result = await cache.get(hashApiKey(key), (key_hash) => bus.request(identity.verifyKey, { key_hash }, { requestId }), nowMs)
  } catch (e) {
    if (e instanceof AppError && e.status === 401) keyVerifications.inc({ result: 'refused' })
    throw e
  }
  const { principal, cached } = result
  // A cached key may have expired since it was verified.
  if (principal.expires_at && Date.parse(principal.expires_at) <= nowMs) {
    keyVerifications.inc({ result: 'expired' })
    throw new AppError('unauthorized', 'API key has expired')
  }
  keyVerifications.inc({ result: cached ? 'cache_hit' : 'verified' })
  return principal
}

const digest = (s: string) => createHash('sha256').update(s).digest()

export function checkAdmin(headers: Headers, adminToken: string | undefined): void {
  if (!adminToken) throw new AppError('unauthorized', 'the operator API is disabled: ADMIN_TOKEN is not set')
  const auth = headers.get('authorization') ?? ''
  const token = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : ''
  // Equal-length digests make the comparison constant-time whatever the token's length.
  if (!token || !timingSafeEqual(digest(token), digest(adminToken))) {
    throw new AppError('unauthorized', 'missing or invalid operator token')
  }
}
