/**
 * Automatic allocation: try the tenant's numbers in ranked order (rank-numbers.ts), ask the
 * database which of the first few are free, and insert on the best one. The unique indexes make
 * the insert the final judge; on a conflict we clear what may be stale on that number and try
 * again.
 *
 * Within one instance, numbers being inserted right now are reserved in memory, so a burst of
 * concurrent creates spreads over distinct numbers instead of all colliding on the first one.
 * When every candidate is reserved, a request waits for those inserts to finish before deciding
 * that nothing is free, so the 409 is exact (a reservation whose insert fails frees its number).
 */
import { AppError } from '../../shared/errors'
import type { TenantNumbers } from './number-directory'
import { NumberRanking } from './rank-numbers'
import { ConflictError, type SessionStore } from './session-store'

const CHUNK = 16
const MAX_ATTEMPTS = 50

interface Reservation {
  exclusive: boolean
  phones: readonly string[]
  done: Promise<void>
}

export interface AllocationRequest {
  tenantId: string
  exclusive: boolean
  driver: string
  customer: string
  customerCountry: string | null
  held: TenantNumbers
}

export class NumberAllocator {
  private readonly reservations = new Map<string, Set<Reservation>>()
  private readonly lastUsed = new Map<string, number>()
  private readonly lastUsedLoaded = new Set<string>()
  private readonly rankings = new Map<string, { version: number; ranking: NumberRanking }>()

  constructor(
    private readonly store: SessionStore,
    /** After a conflict on a number: clear what is stale on it (and announce what that ended). */
    private readonly heal: (tenantId: string, e164: string) => Promise<void>,
  ) {}

  /** Runs `insert` on the chosen number and returns its result; 409 when no number is free. */
  async allocate<T>(req: AllocationRequest, insert: (e164: string) => Promise<T>): Promise<T> {
    const ranking = await this.rankingOf(req.tenantId, req.held)
    const phones = [req.driver, req.customer] as const
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let pick: string | undefined
      const inFlight: Promise<void>[] = []
      const candidates = ranking.candidates(req.customerCountry)
      while (!pick) {
        // The next few candidates nobody in this instance is inserting on right now.
        const chunk: string[] = []
        for (let c = candidates.next(); !c.done; c = candidates.next()) {
          const blocking = this.blocking(c.value, req.exclusive, phones)
          if (blocking.length) inFlight.push(...blocking)
          else if (chunk.push(c.value) === CHUNK) break
        }
        if (chunk.length === 0) break
        const free = await this.store.freeAmong({ tenantId: req.tenantId, candidates: chunk, exclusive: req.exclusive, phones: [req.driver, req.customer], now: new Date(), limit: 4 })
        // Another request of this instance may have reserved one while we asked.
        pick = free.find((n) => !this.blocked(n, req.exclusive, phones))
      }
      if (!pick) {
        if (inFlight.length === 0) throw new AppError('no_masked_number_available', 'no masked number of this tenant is free right now; complete a session or add numbers')
        await Promise.all(inFlight)
        continue
      }
      const release = this.reserve(pick, req.exclusive, phones)
      try {
        const result = await insert(pick)
        this.lastUsed.set(pick, Date.now())
        ranking.touch(pick)
        return result
      } catch (e) {
        if (!(e instanceof ConflictError) || e.conflict === 'order') throw e
        // Taken by another instance, or held by something stale: clear the stale part, try again.
        await this.heal(req.tenantId, pick)
      } finally {
        release()
      }
    }
    throw new AppError('no_masked_number_available', 'could not secure a free masked number under contention; retry')
  }

  /** The tenant's ranking, rebuilt when its numbers changed; last use read from the table once per tenant. */
  private async rankingOf(tenantId: string, held: TenantNumbers): Promise<NumberRanking> {
    const cached = this.rankings.get(tenantId)
    if (cached?.version === held.version) return cached.ranking
    if (!this.lastUsedLoaded.has(tenantId)) {
      const numbers = [...held.numbers.keys()]
      for (let i = 0; i < numbers.length; i += 5000) {
        for (const [n, at] of await this.store.lastUsed(numbers.slice(i, i + 5000))) if (!this.lastUsed.has(n)) this.lastUsed.set(n, at)
      }
      this.lastUsedLoaded.add(tenantId)
    }
    const ranking = new NumberRanking(held.numbers.values(), (n) => this.lastUsed.get(n))
    this.rankings.set(tenantId, { version: held.version, ranking })
    return ranking
  }

  private blocking(e164: string, exclusive: boolean, phones: readonly string[]): Promise<void>[] {
    const out: Promise<void>[] = []
    for (const r of this.reservations.get(e164) ?? []) {
      if (exclusive || r.exclusive || r.phones.some((p) => phones.includes(p))) out.push(r.done)
    }
    return out
  }

  private blocked(e164: string, exclusive: boolean, phones: readonly string[]): boolean {
    return this.blocking(e164, exclusive, phones).length > 0
  }

  private reserve(e164: string, exclusive: boolean, phones: readonly string[]): () => void {
    let resolve!: () => void
    const r: Reservation = { exclusive, phones, done: new Promise<void>((res) => (resolve = res)) }
    let set = this.reservations.get(e164)
    if (!set) this.reservations.set(e164, (set = new Set()))
    set.add(r)
    return () => {
      set.delete(r)
      if (set.size === 0) this.reservations.delete(e164)
      resolve()
    }
  }
}
