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
  /** Active numbers, least recently used first. */
  private readonly all = new Map<string, Candidate>()
  private readonly byCountry = new Map<string, Map<string, Candidate>>()

  constructor(numbers: Iterable<Candidate>, lastUsed: (e164: string) => number | undefined) {
    const list = [...numbers]
    const byE164 = new Map(list.map((n) => [n.e164, n]))
    for (const e164 of rankNumbers(list, null, lastUsed)) {
      const n = byE164.get(e164)!
      this.all.set(e164, n)
      if (n.country !== null) {
        let m = this.byCountry.get(n.country)
        if (!m) this.byCountry.set(n.country, (m = new Map()))
        m.set(e164, n)
      }
    }
  }

  /**
   * Candidates in `rankNumbers` order for a customer in `country`, lazily, each number once.
   * Other creates move numbers to the back while this walk is under way (a Map iterator then
   * meets them again): without the "once", walks on a busy pool kept meeting the numbers their
   * neighbours had just moved and never reached the end.
   */
  *candidates(country: string | null): Generator<string> {
    const home = country === null ? undefined : this.byCountry.get(country)
    const given = new Set<string>()
    const total = this.all.size
    if (home) {
      for (const e164 of home.keys()) {
        if (given.size >= total) return
        if (given.has(e164)) continue
        given.add(e164)
        yield e164
      }
    }
    for (const e164 of this.all.keys()) {
      if (given.size >= total) return
      if (given.has(e164) || home?.has(e164)) continue
      given.add(e164)
      yield e164
    }
  }

  /** The number was just used: it goes last. */
  touch(e164: string): void {
    const n = this.all.get(e164)
    if (!n) return
    this.all.delete(e164)
    this.all.set(e164, n)
    const m = n.country === null ? undefined : this.byCountry.get(n.country)
    if (m) {
      m.delete(e164)
      m.set(e164, n)
    }
  }
}
