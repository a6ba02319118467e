/**
 * Automatic allocation: walk the tenant's numbers in ranked order (rank-numbers.ts) and insert on
 * the first free one. The first couple of candidates are tried straight away with a conditional
 * insert (one statement: the least recently used number is almost always free); past those, the
 * database is asked which of the next few are free before inserting. The unique indexes make the
 * insert the final judge; on a conflict we clear what may be stale on that number and retry it.
 *
 * Within one instance, numbers being inserted right now are reserved in memory, so a burst of
 * concurrent creates spreads over distinct numbers instead of colliding on the first one. When
 * every remaining candidate is reserved, a request waits for those inserts before deciding that
 * nothing is free, so the 409 is exact (a reservation whose insert fails frees its number).
 */
import { AppError } from '../../shared/errors'
import type { TenantNumbers } from './number-directory'
import { NumberRanking } from './rank-numbers'
import { ConflictError, type SessionStore } from './session-store'

/** Candidates tried with a bare conditional insert before asking which are free. */
const DIRECT = 2
/** Candidates per "which are free?" query. */
const CHUNK = 16
const MAX_ATTEMPTS = 20

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
    /** After a conflict on a number: clear what is stale on it (and announce what that ended); how many it ended. */
    private readonly heal: (tenantId: string, e164: string) => Promise<number>,
  ) {}

  /**
   * Runs `insert` on candidates until one takes (it resolves `undefined` when the number turned
   * out busy) and returns its result; 409 `no_masked_number_available` when none is free.
   */
  async allocate<T>(req: AllocationRequest, insert: (e164: string) => Promise<T | undefined>): Promise<T> {
    const ranking = await this.rankingOf(req.tenantId, req.held)
    const phones = [req.driver, req.customer] as const
    const guard = req.exclusive ? 'whole' : 'parties'
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const inFlight: Promise<void>[] = []
      const candidates = ranking.candidates(req.customerCountry)
      const nextOpen = (): string | undefined => {
        for (let c = candidates.next(); !c.done; c = candidates.next()) {
          const blocking = this.blocking(c.value, req.exclusive, phones)
          if (blocking.length === 0) return c.value
          inFlight.push(...blocking)
        }
        return undefined
      }
      for (let tried = 0; ; ) {
        let batch: string[]
        if (tried < DIRECT) {
          const n = nextOpen()
          if (n === undefined) break
          batch = [n]
        } else {
          const chunk: string[] = []
          for (let n = nextOpen(); n !== undefined; n = chunk.length < CHUNK ? nextOpen() : undefined) chunk.push(n)
          if (chunk.length === 0) break
          batch = await this.store.freeAmong({ tenantId: req.tenantId, candidates: chunk, guard, phones, now: new Date(), limit: 4 })
        }
        for (const n of batch) {
          // Another request of this instance may have reserved it meanwhile.
          if (this.blocked(n, req.exclusive, phones)) continue
          tried++
          const result = await this.tryNumber(req, n, insert)
          if (result !== undefined) {
            this.lastUsed.set(n, Date.now())
            ranking.touch(n)
            return result
          }
        }
      }
      if (inFlight.length === 0) throw new AppError('no_masked_number_available', 'no masked number of this tenant is free right now; complete a session or add numbers')
      await Promise.all(inFlight)
    }
    throw new AppError('no_masked_number_available', 'could not secure a free masked number under contention; retry')
  }

  /** One number, reserved meanwhile: inserted, or busy (undefined). A conflict heals and retries once. */
  private async tryNumber<T>(req: AllocationRequest, e164: string, insert: (e164: string) => Promise<T | undefined>): Promise<T | undefined> {
    const release = this.reserve(e164, req.exclusive, [req.driver, req.customer])
    try {
      for (let i = 0; i < 2; i++) {
        try {
          return await insert(e164)
        } catch (e) {
          if (!(e instanceof ConflictError) || e.conflict === 'order') throw e
          // Taken by another instance (busy), or held by something stale (cleared: try again).
          if ((await this.heal(req.tenantId, e164)) === 0) return undefined
        }
      }
      return undefined
    } finally {
      release()
    }
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
