/**
 * The allocation choice: which of a tenant's numbers to try first for a new session. Active
 * numbers only; those in the customer's country first (a local caller id gets answered), then
 * least recently used (spreads wear, and the longest-idle number is the likeliest to be free).
 */
export interface Candidate {
  e164: string
  country: string | null
  status: 'active' | 'suspended'
}

export function rankNumbers(numbers: Iterable<Candidate>, customerCountry: string | null, lastUsed: (e164: string) => number | undefined): string[] {
  const ranked: { e164: string; home: number; used: number }[] = []
  for (const n of numbers) {
    if (n.status !== 'active') continue
    ranked.push({ e164: n.e164, home: customerCountry !== null && n.country === customerCountry ? 0 : 1, used: lastUsed(n.e164) ?? Number.NEGATIVE_INFINITY })
  }
  ranked.sort((a, b) => a.home - b.home || a.used - b.used || (a.e164 < b.e164 ? -1 : a.e164 > b.e164 ? 1 : 0))
  return ranked.map((r) => r.e164)
}

/**
 * The same order as `rankNumbers`, kept up to date instead of recomputed: a tenant may hold
 * thousands of numbers, and a create only needs the first few candidates. Maps iterate in
 * insertion order, so "least recently used first" is insertion order, and using a number moves
 * it to the end. Built once per change of the tenant's numbers.
 */
export class NumberRanking {
  /** Active numbers, least recently used first; each slot also says when it was last moved. */
  private readonly all = new Map<string, Slot>()
  private readonly byCountry = new Map<string, Map<string, Slot>>()
  /** Counts moves: a walk that began at `clock` = t skips the numbers moved after t. */
  private clock = 0

  constructor(numbers: Iterable<Candidate>, lastUsed: (e164: string) => number | undefined) {
    const list = [...numbers]
    const byE164 = new Map(list.map((n) => [n.e164, n]))
    for (const e164 of rankNumbers(list, null, lastUsed)) {
      const slot: Slot = { n: byE164.get(e164)!, moved: 0 }
      this.all.set(e164, slot)
      if (slot.n.country !== null) {
        let m = this.byCountry.get(slot.n.country)
        if (!m) this.byCountry.set(slot.n.country, (m = new Map()))
        m.set(e164, slot)
      }
    }
    // A pool of one country: its country's order is the whole order; no second map of every number.
    const [only] = this.byCountry.keys()
    if (this.byCountry.size === 1 && this.byCountry.get(only!)!.size === this.all.size) this.onlyCountry = only
    if (this.onlyCountry !== undefined) this.byCountry.clear()
  }

  /** Set when every number is of this one country (then `byCountry` is empty). */
  private onlyCountry: string | undefined

  /** Now, on the clock of moves (for `candidates(…, { skipMovedSince })`). */
  now(): number {
    return this.clock
  }

  /**
   * Candidates in `rankNumbers` order for a customer in `country`, lazily, each number once.
   * Other creates move numbers to the back while this walk is under way (a Map iterator then
   * meets them again): without the "once", walks on a busy pool kept meeting the numbers their
   * neighbours had just moved and never reached the end.
   *
   * `skipMovedSince`: also skip every number moved after that time. A number moves when it is
   * used or found busy, so it carried a session during the walk: an exclusive create may pass
   * it by. That gives "once" without a set of every number given (on a 100,000-number pool the
   * set, built by every walk, was most of a create's CPU, bench/RESULTS-scale.md part B).
   */
  *candidates(country: string | null, o: { skipMovedSince?: number } = {}): Generator<string> {
    const home = country === null ? undefined : country === this.onlyCountry ? this.all : this.byCountry.get(country)
    const since = o.skipMovedSince
    const given = since === undefined ? new Set<string>() : undefined
    const total = this.all.size
    const fresh = (e164: string, slot: Slot): boolean => {
      if (since !== undefined) return slot.moved <= since
      if (given!.has(e164)) return false
      given!.add(e164)
      return true
    }
    if (home) {
      for (const [e164, slot] of home) {
        if (given && given.size >= total) return
        if (!fresh(e164, slot)) continue
        yield e164
      }
      // Every number is in the customer's country: nothing left to give.
      if (home.size === total) return
    }
    for (const [e164, slot] of this.all) {
      if (given && given.size >= total) return
      if (home && slot.n.country === country) continue
      if (!fresh(e164, slot)) continue
      yield e164
    }
  }

  /** The number was just used (or found busy): it goes last. */
  touch(e164: string): void {
    const slot = this.all.get(e164)
    if (!slot) return
    slot.moved = ++this.clock
    this.all.delete(e164)
    this.all.set(e164, slot)
    const m = slot.n.country === null ? undefined : this.byCountry.get(slot.n.country)
    if (m) {
      m.delete(e164)
      m.set(e164, slot)
    }
  }
}

interface Slot {
  n: Candidate
  moved: number
}
