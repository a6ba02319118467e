/**
 * Verified keys, cached for at most `ttlMs` (5 s) so most requests need no bus hop. Revocation
 * and rotation evict at once: the gateway that handled the change evicts before replying, and
 * every gateway evicts on `identity.key.revoked`. Concurrent misses for one key share one lookup.
 */
import type { Principal } from '../../shared/contracts/identity'

interface Entry {
  principal: Principal
  expiresAtMs: number
}

export class KeyCache {
  private readonly byHash = new Map<string, Entry>()
  private readonly hashByKeyId = new Map<string, string>()
  private readonly pending = new Map<string, Promise<Principal>>()

  constructor(private readonly ttlMs = 5000, private readonly maxEntries = 100_000) {}

  async get(hash: string, load: (hash: string) => Promise<Principal>, nowMs = Date.now()): Promise<{ principal: Principal; cached: boolean }> {
    const hit = this.byHash.get(hash)
    if (hit && hit.expiresAtMs > nowMs) return { principal: hit.principal, cached: true }
    let p = this.pending.get(hash)
    if (!p) {
      const generation = this.generation
      p = load(hash)
        .then((principal) => {
          // An eviction while the lookup was in flight wins over its (possibly stale) answer.
          if (generation === this.generation) this.put(hash, principal, nowMs)
          return principal
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
