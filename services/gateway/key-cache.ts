/**
 * Verified keys, cached for at most `ttlMs` (5 s) so most requests need no bus hop. Revocation
 * and rotation evict at once: the gateway that handled the change evicts before replying, and
 * every gateway evicts on `identity.key.revoked`. Concurrent misses for one key share one lookup.
 * Keys identity refused (unknown, revoked, expired) are remembered as refused for `negativeTtlMs`
 * (2 s), so a client repeating a bad key does not cost a bus request each time. A refused key
 * cannot become valid (new keys are fresh random strings), so this never delays a real key.
 */
import type { Principal } from '../../shared/contracts/identity'
import { AppError, isAppError } from '../../shared/errors'

interface Entry {
  principal: Principal
  expiresAtMs: number
}

export class KeyCache {
  private readonly byHash = new Map<string, Entry>()
  private readonly hashByKeyId = new Map<string, string>()
  private readonly pending = new Map<string, Promise<Principal>>()
  private readonly refused = new Map<string, { message: string; expiresAtMs: number }>()

  constructor(private readonly ttlMs = 5000, private readonly maxEntries = 100_000, private readonly negativeTtlMs = 2000) {}

  /** A cached, verified key (no lookup). */
  peek(hash: string, nowMs = Date.now()): Principal | undefined {
    const hit = this.byHash.get(hash)
    return hit && hit.expiresAtMs > nowMs ? hit.principal : undefined
  }

  async get(hash: string, load: (hash: string) => Promise<Principal>, nowMs = Date.now()): Promise<{ principal: Principal; cached: boolean }> {
    const hit = this.byHash.get(hash)
    if (hit && hit.expiresAtMs > nowMs) return { principal: hit.principal, cached: true }
    const no = this.refused.get(hash)
    if (no && no.expiresAtMs > nowMs) throw new AppError('unauthorized', no.message)
    let p = this.pending.get(hash)
    if (!p) {
      const generation = this.generation
      p = load(hash)
        .then((principal) => {
          // An eviction while the lookup was in flight wins over its (possibly stale) answer.
          if (generation === this.generation) this.put(hash, principal, nowMs)
          return principal
        })
        .catch((e) => {
          if (isAppError(e) && e.status === 401 && this.negativeTtlMs > 0) {
            if (this.refused.size >= this.maxEntries) this.refused.clear()
            this.refused.set(hash, { message: e.message, expiresAtMs: nowMs + this.negativeTtlMs })
          }
          throw e
        })
        .finally(() => this.pending.delete(hash))
      this.pending.set(hash, p)
    }
    return { principal: await p, cached: false }
  }

  private generation = 0

  private put(hash: string, principal: Principal, nowMs: number): void {
    if (this.byHash.size >= this.maxEntries) this.byHash.clear()
    this.byHash.set(hash, { principal, expiresAtMs: nowMs + this.ttlMs })
    this.hashByKeyId.set(principal.key_id, hash)
  }

  evictKey(keyId: string): void {
    this.generation++
    const hash = this.hashByKeyId.get(keyId)
    if (hash) this.byHash.delete(hash)
    this.hashByKeyId.delete(keyId)
  }

  evictTenant(tenantId: string): void {
    this.generation++
    for (const [hash, e] of this.byHash) {
      if (e.principal.tenant_id === tenantId) {
        this.byHash.delete(hash)
        this.hashByKeyId.delete(e.principal.key_id)
      }
    }
  }

  get size(): number {
    return this.byHash.size
  }
}
