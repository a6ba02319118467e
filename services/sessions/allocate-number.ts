/**
 * Automatic allocation: walk the tenant's numbers in ranked order (rank-numbers.ts) and insert on
 * the first free one. The first couple of candidates are tried straight away with a conditional
 * insert (one statement: the least recently used number is almost always free); past those, the
 * database is asked which of the next few are free before inserting. The unique indexes make the
 * insert the final judge; on a conflict we clear what may be stale on that number and retry it.
 *
 * Within one instance, numbers being inserted right now are reserved in memory, so a burst of
 * concurrent creates spreads over distinct numbers instead of colliding on the first one. A
 * request that found nothing free but skipped reserved numbers waits for those holders; each says
 * whether the number may still be free (its insert failed otherwise than "busy"), and only those
 * are tried again. So the 409 is exact, and a burst on a full pool does not queue every request
 * behind every other on each busy number.
 */
import { AppError } from '../../shared/errors'
import type { TenantNumbers } from './number-directory'
import { NumberRanking } from './rank-numbers'
import { ConflictError, type Guard, type SessionStore } from './session-store'

/** Candidates tried with a bare conditional insert before asking which are free. */
const DIRECT = 2
/**
 * Candidates in the first "which are free?" query; each further query asks four times as many,
 * up to MAX_CHUNK. A nearly full pool (say 100 free of 100,000) then costs a handful of round
 * trips instead of one per 16 busy numbers (bench/RESULTS-scale.md).
 */
const CHUNK = 16
const MAX_CHUNK = 4096
/** Passes over the numbers reserved by others when we came by, before giving up. */
const MAX_PASSES = 50

interface Reservation {
  exclusive: boolean
  phones: readonly string[]
  /** Settles when the holder is done: true if the number may still be free (its insert failed otherwise than "busy"). */
  done: Promise<boolean>
}

export interface AllocationRequest {
  tenantId: string
  exclusive: boolean
  driver: string
  customer: string
  customerCountry: string | null
  held: TenantNumbers
  /** How the session shares its number; default from `exclusive`. PIN sessions share with PIN sessions only. */
  guard?: Guard
}

export class NumberAllocator {
  private readonly reservations = new Map<string, Set<Reservation>>()
  private readonly lastUsed = new Map<string, number>()
  private readonly lastUsedLoaded = new Set<string>()
  private readonly rankings = new Map<string, { version: number; ranking: NumberRanking }>()
  private readonly building = new Map<string, Promise<NumberRanking>>()
  /** Orders "which are free?" statements against the start of walks (see `asking`). */
  private tick = 0
  /** Numbers an exclusive walk is asking about right now ("which are free?"), with the tick it asked at and the answer to come. */
  private readonly asking = new Map<string, { asked: number; answer: Promise<ReadonlySet<string> | null> }>()

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
    // PIN sessions do not hold their parties' phones on a number: they never block each other here.
    const phones = req.guard === 'pin' ? ([] as const) : ([req.driver, req.customer] as const)
    const guard = req.guard ?? (req.exclusive ? 'whole' : 'parties')
    // The first pass walks the whole ranking; later passes only the numbers that were reserved by
    // another request of this instance when we came by (their insert may have failed since).
    // Numbers found busy on the way carry a session: they go to the back of the order at once
    // (the walk yields each number once, so walks in flight are not disturbed), and neither the
    // next create nor, when exclusive, the walks in flight ask about them again: a number moved
    // since an exclusive walk began carried a session during it, which is all that walk's own
    // check would show (8 walks in flight each asked about all 99,900 busy numbers,
    // bench/RESULTS-scale.md part B). On a nearly full pool that is what keeps creates cheap.
    const candidates: Iterator<string> = ranking.candidates(req.customerCountry, guard === 'whole' ? { skipMovedSince: ranking.now() } : {})
    const started = ++this.tick
    const busy = (n: string) => {
      this.lastUsed.set(n, Date.now())
      ranking.touch(n)
    }
    return this.walk(req, ranking, candidates, phones, guard, started, busy, insert)
  }

  private async walk<T>(
    req: AllocationRequest,
    ranking: NumberRanking,
    start: Iterator<string>,
    phones: readonly string[],
    guard: Guard,
    started: number,
    busy: (e164: string) => void,
    insert: (e164: string) => Promise<T | undefined>,
  ): Promise<T> {
    let candidates = start
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      // Numbers another request of this instance was inserting on when we came by, with its outcome.
      const skipped = new Map<string, Promise<boolean>[]>()
      const skip = (n: string, blocking: Promise<boolean>[]) => skipped.set(n, [...(skipped.get(n) ?? []), ...blocking])
      const nextOpen = (): string | undefined => {
        for (let c = candidates.next(); !c.done; c = candidates.next()) {
          const blocking = this.blocking(c.value, req.exclusive, phones)
          if (blocking.length === 0) return c.value
          skip(c.value, blocking)
        }
        return undefined
      }
      let chunkSize = CHUNK
      const whole = guard === 'whole'
      for (let tried = 0; ; ) {
        let batch: string[]
        if (tried < DIRECT) {
          const n = nextOpen()
          if (n === undefined) break
          batch = [n]
        } else {
          // Numbers another exclusive walk is asking about right now (sent after this walk began):
          // its answer is ours too, so walks in flight together do not all ask about the same ones.
          const chunk: string[] = []
          const followed: { n: string; answer: Promise<ReadonlySet<string> | null> }[] = []
          for (let n = nextOpen(); n !== undefined; n = chunk.length + followed.length < chunkSize ? nextOpen() : undefined) {
            const a = whole ? this.asking.get(n) : undefined
            if (a && a.asked > started) followed.push({ n, answer: a.answer })
            else chunk.push(n)
          }
          if (chunk.length === 0 && followed.length === 0) break
          chunkSize = Math.min(MAX_CHUNK, chunkSize * 4)
          batch = chunk.length ? await this.askFree(req, chunk, guard, busy) : []
          // Every free one, in order: those not tried now would never be tried (the walk moves on).
          const unanswered: string[] = []
          for (const f of followed) {
            const answer = await f.answer
            if (answer === null) unanswered.push(f.n) // its statement failed: ask ourselves
            else if (answer.has(f.n)) batch.push(f.n)
          }
          if (unanswered.length) batch.push(...(await this.askFree(req, unanswered, guard, busy)))
        }
        for (const n of batch) {
          // Another request of this instance may have reserved it meanwhile.
          const blocking = this.blocking(n, req.exclusive, phones)
          if (blocking.length) {
            skip(n, blocking)
            continue
          }
          tried++
          const result = await this.tryNumber(req, n, insert)
          if (result !== undefined) {
            this.lastUsed.set(n, Date.now())
            ranking.touch(n)
            return result
          }
          busy(n)
        }
      }
      // Only a number whose holder failed otherwise than "busy" can still be free: retry those, else it is a 409.
      const again: string[] = []
      for (const [n, outcomes] of skipped) if ((await Promise.all(outcomes)).some(Boolean)) again.push(n)
      if (again.length === 0) throw new AppError('no_masked_number_available', 'no masked number of this tenant is free right now; complete a session or add numbers')
      candidates = again[Symbol.iterator]()
    }
    throw new AppError('no_masked_number_available', 'could not secure a free masked number under contention; retry')
  }

  /** Which of `chunk` are free (in order); the busy ones are reported, and exclusive walks in flight may follow the answer. */
  private async askFree(req: AllocationRequest, chunk: string[], guard: Guard, busy: (e164: string) => void): Promise<string[]> {
    const asked = ++this.tick
    const query = this.store.freeAmong({ tenantId: req.tenantId, candidates: chunk, guard, phones: [req.driver, req.customer], now: new Date(), limit: chunk.length })
    if (guard === 'whole') {
      const answer = query.then(
        (free) => new Set(free) as ReadonlySet<string>,
        () => null,
      )
      for (const n of chunk) this.asking.set(n, { asked, answer })
    }
    try {
      const free = await query
      const set = new Set(free)
      for (const n of chunk) if (!set.has(n)) busy(n)
      return free
    } finally {
      if (guard === 'whole') for (const n of chunk) if (this.asking.get(n)?.asked === asked) this.asking.delete(n)
    }
  }

  /** Another instance just used `e164` for this tenant: it goes last in this instance's ranking too. */
  usedElsewhere(tenantId: string, e164: string, at: number): void {
    if ((this.lastUsed.get(e164) ?? Number.NEGATIVE_INFINITY) >= at) return
    this.lastUsed.set(e164, at)
    this.rankings.get(tenantId)?.ranking.touch(e164)
  }

  /** One number, reserved meanwhile: inserted, or busy (undefined). A conflict heals and retries once. */
  private async tryNumber<T>(req: AllocationRequest, e164: string, insert: (e164: string) => Promise<T | undefined>): Promise<T | undefined> {
    const release = this.reserve(e164, req.exclusive, req.guard === 'pin' ? [] : [req.driver, req.customer])
    let mayBeFree = true
    try {
      for (let i = 0; i < 2; i++) {
        try {
          const result = await insert(e164)
          mayBeFree = false // taken by us, or busy
          return result
        } catch (e) {
          if (!(e instanceof ConflictError) || e.conflict === 'order') throw e
          // Taken by another instance (busy), or held by something stale (cleared: try again).
          if ((await this.heal(req.tenantId, e164)) === 0) {
            mayBeFree = false
            return undefined
          }
        }
      }
      return undefined
    } finally {
      release(mayBeFree)
    }
  }

  /**
   * The tenant's ranking, rebuilt when its numbers changed; last use read from the table once per
   * tenant. Concurrent creates share one build: on a big pool each would otherwise read the last
   * use of every number and sort them all again (a queue of first creates kept the process busy
   * for a minute at 100,000 numbers).
   */
  private rankingOf(tenantId: string, held: TenantNumbers): Promise<NumberRanking> {
    const cached = this.rankings.get(tenantId)
    if (cached?.version === held.version) return Promise.resolve(cached.ranking)
    const key = `${tenantId}\u0000${held.version}`
    let build = this.building.get(key)
    if (!build) {
      build = this.buildRanking(tenantId, held).finally(() => this.building.delete(key))
      this.building.set(key, build)
    }
    return build
  }

  private async buildRanking(tenantId: string, held: TenantNumbers): Promise<NumberRanking> {
    if (!this.lastUsedLoaded.has(tenantId)) {
      const numbers = [...held.numbers.keys()]
      for (let i = 0; i < numbers.length; i += 5000) {
        // Keyed by the directory's own string for the number, not a second copy from the row.
        for (const [n, at] of await this.store.lastUsed(numbers.slice(i, i + 5000))) if (!this.lastUsed.has(n)) this.lastUsed.set(held.numbers.get(n)?.e164 ?? n, at)
      }
      this.lastUsedLoaded.add(tenantId)
    }
    const ranking = new NumberRanking(held.numbers.values(), (n) => this.lastUsed.get(n))
    const current = this.rankings.get(tenantId)
    // A newer version may have been built meanwhile; keep the newest.
    if (!current || current.version < held.version) this.rankings.set(tenantId, { version: held.version, ranking })
    return ranking
  }

  private blocking(e164: string, exclusive: boolean, phones: readonly string[]): Promise<boolean>[] {
    const out: Promise<boolean>[] = []
    for (const r of this.reservations.get(e164) ?? []) {
      if (exclusive || r.exclusive || r.phones.some((p) => phones.includes(p))) out.push(r.done)
    }
    return out
  }

  private reserve(e164: string, exclusive: boolean, phones: readonly string[]): (mayBeFree: boolean) => void {
    let resolve!: (mayBeFree: boolean) => void
    const r: Reservation = { exclusive, phones, done: new Promise<boolean>((res) => (resolve = res)) }
    let set = this.reservations.get(e164)
    if (!set) this.reservations.set(e164, (set = new Set()))
    set.add(r)
    return (mayBeFree) => {
      set.delete(r)
      if (set.size === 0) this.reservations.delete(e164)
      resolve(mayBeFree)
    }
  }
}
