/**
 * How many "which are free?" round trips an automatic allocation costs on a nearly full pool.
 * The store here is an in-memory stand-in for the session store's two allocation statements
 * (the real ones run in concurrency.test.ts and the scale benchmark); what is counted is the
 * allocator's walk.
 */
import { describe, expect, test } from 'bun:test'
import type { NumberState } from '../../shared/contracts/did'
import { NumberAllocator } from './allocate-number'
import type { SessionStore } from './session-store'

function pool(size: number) {
  const numbers = new Map<string, NumberState>()
  for (let i = 0; i < size; i++) {
    const e164 = `+1202${String(2_000_000 + i)}`
    numbers.set(e164, { e164, did_id: `did_${i}`, assignment_id: `asg_${i}`, tenant_id: 'ten_a', country: 'US', status: 'active' })
  }
  return { numbers, version: 1 }
}

/** Busy numbers, and a count of the statements the allocator sent. */
function storeWith(busy: Set<string>) {
  const calls = { freeAmong: 0, inserts: 0, candidatesAsked: 0 }
  const store = {
    async lastUsed() {
      return new Map<string, number>()
    },
    async freeAmong(o: { candidates: string[]; limit: number }) {
      calls.freeAmong++
      calls.candidatesAsked += o.candidates.length
      return o.candidates.filter((c) => !busy.has(c)).slice(0, o.limit)
    },
  } as unknown as SessionStore
  const insert = async (e164: string) => {
    calls.inserts++
    if (busy.has(e164)) return undefined
    busy.add(e164)
    return e164
  }
  return { store, calls, insert }
}

const request = (held: ReturnType<typeof pool>) => ({ tenantId: 'ten_a', exclusive: true, driver: '+14155550001', customer: '+14155550002', customerCountry: 'US', held })

describe('allocation on a nearly full pool', () => {
  test('100,000 numbers with only the last 100 (in allocation order) free: a handful of queries, not one per 16 busy numbers', async () => {
    const held = pool(100_000)
    const busy = new Set([...held.numbers.keys()].slice(0, 99_900))
    const { store, calls, insert } = storeWith(busy)
    const allocator = new NumberAllocator(store, async () => 0)
    const got = await allocator.allocate(request(held), insert)
    expect(got).toBe(`+1202${2_000_000 + 99_900}`)
    // 2 direct inserts, then chunks of 16, 64, 256, 1024, 4096, 4096, …: 99,900 busy numbers in 29 queries (one per 16 would be 6,244).
    expect(calls.freeAmong).toBeLessThanOrEqual(30)
    expect(calls.inserts).toBe(3)
    // The busy numbers it walked past went to the back: the next create finds a free one at once.
    const asked = calls.freeAmong
    expect(await allocator.allocate(request(held), insert)).toBe(`+1202${2_000_000 + 99_901}`)
    expect(calls.freeAmong - asked).toBe(0)
  })

  test('every free number of a chunk is tried, so the last free one is found and a full pool is an exact 409', async () => {
    const held = pool(1000)
    // Free: one in the middle of what will be a large chunk, the rest busy.
    const free = `+1202${2_000_000 + 500}`
    const busy = new Set([...held.numbers.keys()].filter((n) => n !== free))
    const { store, insert } = storeWith(busy)
    const allocator = new NumberAllocator(store, async () => 0)
    expect(await allocator.allocate(request(held), insert)).toBe(free)
    await expect(allocator.allocate(request(held), insert)).rejects.toMatchObject({ code: 'no_masked_number_available' })
  })

  test("a number another instance just took moves to the back of this instance's order", async () => {
    const held = pool(10)
    const { store, insert } = storeWith(new Set())
    const allocator = new NumberAllocator(store, async () => 0)
    expect(await allocator.allocate(request(held), insert)).toBe('+12022000000')
    allocator.usedElsewhere('ten_a', '+12022000001', Date.now())
    expect(await allocator.allocate(request(held), insert)).toBe('+12022000002')
  })
})
