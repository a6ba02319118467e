import { describe, expect, test } from 'bun:test'
import { NumberRanking, rankNumbers, type Candidate } from './rank-numbers'

const n = (e164: string, country: string | null, status: Candidate['status'] = 'active'): Candidate => ({ e164, country, status })

describe('rankNumbers', () => {
  const pool = [n('+12025550100', 'US'), n('+4930123456000', 'DE'), n('+12025550101', 'US'), n('+33612340001', 'FR'), n('+4930123456001', 'DE', 'suspended')]

  test("the customer's country first, then least recently used, never-used before used", () => {
    const used = new Map([
      ['+12025550100', 2000],
      ['+12025550101', 1000],
    ])
    expect(rankNumbers(pool, 'US', (e) => used.get(e))).toEqual(['+12025550101', '+12025550100', '+33612340001', '+4930123456000'])
    expect(rankNumbers(pool, 'DE', (e) => used.get(e))).toEqual(['+4930123456000', '+33612340001', '+12025550101', '+12025550100'])
  })

  test('suspended numbers are never candidates', () => {
    expect(rankNumbers(pool, 'DE', () => undefined)).not.toContain('+4930123456001')
  })

  test('no country match (or unknown country): plain least recently used', () => {
    const used = new Map([['+33612340001', 5]])
    expect(rankNumbers(pool, null, (e) => used.get(e))).toEqual(['+12025550100', '+12025550101', '+4930123456000', '+33612340001'])
    expect(rankNumbers(pool, 'GB', (e) => used.get(e))[0]).toBe('+12025550100')
  })

  test('an empty or all-suspended pool ranks nothing', () => {
    expect(rankNumbers([], 'US', () => undefined)).toEqual([])
    expect(rankNumbers([n('+12025550100', 'US', 'suspended')], 'US', () => undefined)).toEqual([])
  })
})

describe('NumberRanking', () => {
  test('yields exactly what rankNumbers computes, before and after numbers are used', () => {
    const countries = ['US', 'DE', 'FR', null]
    const pool: Candidate[] = Array.from({ length: 200 }, (_, i) => n(`+1202555${String(i).padStart(4, '0')}`, countries[i % 4]!, i % 17 === 0 ? 'suspended' : 'active'))
    const used = new Map<string, number>()
    for (let i = 0; i < 200; i += 3) used.set(pool[i]!.e164, (i * 7919) % 1000)
    const ranking = new NumberRanking(pool, (e) => used.get(e))
    let clock = 10_000
    for (let round = 0; round < 50; round++) {
      const country = countries[round % 4]!
      const expected = rankNumbers(pool, country, (e) => used.get(e))
      expect([...ranking.candidates(country)]).toEqual(expected)
      // use the first candidate, as an allocation would
      const pick = expected[round % 5]!
      used.set(pick, ++clock)
      ranking.touch(pick)
    }
  })

  test('is lazy: taking the first few does not walk the whole pool', () => {
    const pool = Array.from({ length: 50_000 }, (_, i) => n(`+1202${String(i).padStart(7, '0')}`, 'US'))
    const ranking = new NumberRanking(pool, () => undefined)
    const t0 = performance.now()
    for (let i = 0; i < 1000; i++) {
      const it = ranking.candidates('DE')
      for (let k = 0; k < 8; k++) it.next()
      ranking.touch(pool[i]!.e164)
    }
    expect(performance.now() - t0).toBeLessThan(200)
  })

  test('skipMovedSince: a walk passes by every number moved after it began, and gives each other number once, in order, in both countries', () => {
    const countries = ['US', 'DE', null]
    const pool = Array.from({ length: 3000 }, (_, i) => n(`+1202${String(i).padStart(7, '0')}`, countries[i % 3]!))
    for (const country of ['US', 'DE', null, 'GB']) {
      const ranking = new NumberRanking(pool, () => undefined)
      const before = rankNumbers(pool, country, () => undefined)
      const it = ranking.candidates(country, { skipMovedSince: ranking.now() })
      const got: string[] = []
      const moved = new Set<string>()
      for (let c = it.next(); !c.done; c = it.next()) {
        got.push(c.value)
        // Others move numbers while the walk goes on: some it gave already, some still ahead.
        if (got.length % 10 === 0) {
          for (const e of [before[got.length * 2], before[got.length - 5]]) {
            if (e === undefined) continue
            ranking.touch(e)
            moved.add(e)
          }
        }
      }
      expect(new Set(got).size).toBe(got.length)
      const givenBeforeMoved = got.filter((e) => moved.has(e))
      // Exactly the numbers never moved, plus those moved only after the walk had given them.
      expect(got.filter((e) => !moved.has(e))).toEqual(before.filter((e) => !moved.has(e)))
      for (const e of givenBeforeMoved) expect(before.indexOf(e)).toBeLessThan(got.length)
    }
  })
})
