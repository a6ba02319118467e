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

const KEY_PREFIX = 'msk_live_'

/** Why no key was found: a key sent without `Bearer `, or nothing at all. */
function missingKeyMessage(headers: Headers): string {
  const auth = headers.get('authorization')?.trim()
  // The header's value is never echoed: it may be the key itself.
  if (auth) return 'the Authorization header needs the Bearer scheme: add "Bearer " before the key (Authorization: Bearer <key>), or send the key alone in X-API-Key'
  return 'missing API key: send it in the X-API-Key header or as Authorization: Bearer <key>'
}

/**
 * `checked`: the hash of the presented key, already found well formed (admission.ts computes it
 * to look in the cache; the checksum and SHA-256 ran twice per request without this).
 */
export async function authenticate(headers: Headers, cache: KeyCache, bus: Bus, requestId: string, nowMs = Date.now(), adminToken?: string, checked?: { hash: string }): Promise<Principal> {
  if (checked) return verified(checked.hash, cache, bus, requestId, nowMs)
  const key = presentedKey(headers)
  if (!key) {
    keyVerifications.inc({ result: 'missing' })
    throw new AppError('unauthorized', missingKeyMessage(headers))
  }
  if (!isWellFormedApiKey(key)) {
    keyVerifications.inc({ result: 'malformed' })
    // Only a malformed key can be the operator token, so the well-formed path pays nothing for this.
    if (adminToken && sameSecret(key, adminToken)) {
      throw new AppError('unauthorized', 'this is the operator token (ADMIN_TOKEN): it opens /admin/v1 only; tenant routes need a tenant API key (msk_live_…)')
    }
    throw new AppError('unauthorized', 'invalid API key')
  }
  return verified(hashApiKey(key), cache, bus, requestId, nowMs)
}

async function verified(hash: string, cache: KeyCache, bus: Bus, requestId: string, nowMs: number): Promise<Principal> {
  let result: { principal: Principal; cached: boolean }
  try {
    result = await cache.get(hash, (key_hash) => bus.request(identity.verifyKey, { key_hash }, { requestId }), nowMs)
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
/** Equal-length digests make the comparison constant-time whatever the lengths. */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))

export function checkAdmin(headers: Headers, adminToken: string | undefined): void {
  if (!adminToken) throw new AppError('unauthorized', 'the operator API is disabled: ADMIN_TOKEN is not set')
  const auth = headers.get('authorization') ?? ''
  const token = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : ''
  if (!token || !sameSecret(token, adminToken)) {
    const tenantKey = (token || headers.get('x-api-key') || '').startsWith(KEY_PREFIX)
    throw new AppError('unauthorized', tenantKey ? 'this is a tenant API key: operator routes (/admin/v1) need Authorization: Bearer <ADMIN_TOKEN>' : 'missing or invalid operator token')
  }
}
