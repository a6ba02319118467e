/**
 * What the destination policy costs per create and per routed call on a big pool (issue 15,
 * bench/RESULTS-scale.md part B): the countries of the tenant's numbers are read once per change
 * of its numbers, not walked again on every request (100,000 numbers copied per routed call kept
 * the sessions process saturated). Counted, not timed.
 */
import { describe, expect, test } from 'bun:test'
import type { NumberState } from '../../shared/contracts/did'
import { Destinations } from './destinations'
import type { NumberDirectory, TenantNumbers } from './number-directory'
import type { TenantSettings } from './tenant-settings'

/** A tenant's numbers whose every walk is counted. */
class CountedNumbers extends Map<string, NumberState> {
  walks = 0
  override values() {
    this.walks++
    return super.values()
  }
  override entries() {
    this.walks++
    return super.entries()
  }
  override [Symbol.iterator]() {
    this.walks++
    return super[Symbol.iterator]()
  }
  override forEach(...a: Parameters<Map<string, NumberState>['forEach']>) {
    this.walks++
    super.forEach(...a)
  }
}

function setUp(size: number, allowedCountries: string[] | null = null) {
  const numbers = new CountedNumbers()
  for (let i = 0; i < size; i++) {
    const e164 = `+1202${2_000_000 + i}`
    numbers.set(e164, { e164, did_id: `did_${i}`, assignment_id: `asg_${i}`, tenant_id: 'ten_a', country: i === 7 ? 'CA' : 'US', status: 'active' })
  }
  const held: TenantNumbers = { numbers, version: 1 }
  const directory = {
    numbersOf: async () => held,
    platformNumbers: async (list: readonly string[]) => list.map(() => false),
  } as unknown as NumberDirectory
  const settings = { of: async () => ({ sharing: 'exclusive', allowedCountries }) } as unknown as TenantSettings
  return { numbers, held, destinations: new Destinations(settings, directory) }
}

describe('destination policy on a big pool', () => {
  test("1,000 checks on an unchanged 20,000-number pool walk the tenant's numbers once", async () => {
    const { numbers, destinations } = setUp(20_000)
    for (let i = 0; i < 1000; i++) {
      expect(await destinations.refusals('ten_a', ['+14155550101', '+16135550101', '+442079460000'])).toEqual([undefined, undefined, 'country_not_allowed'])
    }
    expect(numbers.walks).toBe(1)
  })

  test('a change of the numbers (new version) is seen at the next check, with one more walk', async () => {
    const { numbers, held, destinations } = setUp(100)
    expect(await destinations.refusals('ten_a', ['+442079460000'])).toEqual(['country_not_allowed'])
    numbers.set('+442079460001', { e164: '+442079460001', did_id: 'did_x', assignment_id: 'asg_x', tenant_id: 'ten_a', country: 'GB', status: 'active' })
    held.version = 2
    expect(await destinations.refusals('ten_a', ['+442079460000'])).toEqual([undefined])
    expect(numbers.walks).toBe(2)
  })

  test("an operator's list of countries needs no walk at all", async () => {
    const { numbers, destinations } = setUp(1000, ['GB'])
    expect(await destinations.refusals('ten_a', ['+442079460000', '+14155550101'])).toEqual([undefined, 'country_not_allowed'])
    expect(numbers.walks).toBe(0)
  })
})
