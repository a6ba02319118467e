/**
 * Verified keys, cached for at most `ttlMs` (5 s) so most requests need no bus hop. Revocation
 * and rotation evict at once: the gateway that handled the change evicts before replying, and
 * every gateway evicts on `identity.key.revoked`. Concurrent misses for one key share one lookup
 * (shared/cache.ts). Keys identity refused (unknown, revoked, expired) are remembered as refused
 * for `negativeTtlMs` (2 s), so a client repeating a bad key does not cost a bus request each
 * time. A refused key cannot become valid (new keys are fresh random strings), so this never
 * delays a real key.
 */
import { LRUCache } from 'lru-cache'
import { LoadingCache } from '../../shared/cache'
import type { Principal } from '../../shared/contracts/identity'
import { AppError, isAppError } from '../../shared/errors'

export class KeyCache {
  private readonly verified: LoadingCache<string, Principal>
  private readonly refused: LRUCache<string, { message: string; expiresAtMs: number }>

  constructor(ttlMs = 5000, maxEntries = 100_000, private readonly negativeTtlMs = 2000) {
    this.verified = new LoadingCache({ ttlMs, maxEntries })
    this.refused = new LRUCache({ max: maxEntries })
  }

  /** A cached, verified key (no lookup). */
  peek(hash: string, nowMs = Date.now()): Principal | undefined {
    return this.verified.peek(hash, nowMs)
  }

  async get(hash: string, load: (hash: string) => Promise<Principal>, nowMs = Date.now()): Promise<{ principal: Principal; cached: boolean }> {
    const hit = this.verified.peek(hash, nowMs)
    if (hit) return { principal: hit, cached: true }
    const no = this.refused.get(hash)
    if (no && no.expiresAtMs > nowMs) throw new AppError('unauthorized', no.message)
    try {
      const { value, cached } = await this.verified.lookup(hash, load, nowMs)
      return { principal: value, cached }
    } catch (e) {
      if (isAppError(e) && e.status === 401 && this.negativeTtlMs > 0) this.refused.set(hash, { message: e.message, expiresAtMs: nowMs + this.negativeTtlMs })
      throw e
    }
  }

  /** An eviction while a lookup is in flight wins over its (possibly stale) answer. */
  evictKey(keyId: string): void {
    this.verified.invalidateWhere((p) => p.key_id === keyId)
  }

  evictTenant(tenantId: string): void {
    this.verified.invalidateWhere((p) => p.tenant_id === tenantId)
  }

  get size(): number {
    return this.verified.size
  }
}
