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
  const calls = { freeAmong: 0, inserts: 0, candidatesAsked: 0, lastUsed: 0 }
  const store = {
    async lastUsed() {
      calls.lastUsed++
      await Bun.sleep(5)
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
  test('20,000 numbers with only the last 20 (in allocation order) free: a handful of queries, not one per 16 busy numbers', async () => {
    const held = pool(20_000)
    const busy = new Set([...held.numbers.keys()].slice(0, 19_980))
    const { store, calls, insert } = storeWith(busy)
    const allocator = new NumberAllocator(store, async () => 0)
    const got = await allocator.allocate(request(held), insert)
    expect(got).toBe(`+1202${2_000_000 + 19_980}`)
    // 2 direct inserts, then chunks of 16, 64, 256, 1024, 4096, …: 19,980 busy numbers in 10 queries (one per 16 would be 1,249).
    expect(calls.freeAmong).toBeLessThanOrEqual(10)
    expect(calls.inserts).toBe(3)
    // The busy numbers it walked past went to the back: the next create finds a free one at once.
    const asked = calls.freeAmong
    expect(await allocator.allocate(request(held), insert)).toBe(`+1202${2_000_000 + 19_981}`)
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

  test('concurrent walks on a nearly full pool all end, though each moves the busy numbers it met to the back', async () => {
    const held = pool(5000)
    const busy = new Set([...held.numbers.keys()].slice(0, 4950))
    const { store, insert } = storeWith(busy)
    const slowStore = { ...store, freeAmong: async (o: never) => (await Bun.sleep(1), store.freeAmong(o)) } as unknown as typeof store
    const allocator = new NumberAllocator(slowStore, async () => 0)
    const outcomes = await Promise.race([
      Promise.allSettled(Array.from({ length: 60 }, () => allocator.allocate(request(held), insert))),
      Bun.sleep(20_000).then(() => 'still walking' as const),
    ])
    expect(outcomes).not.toBe('still walking')
    const settled = outcomes as PromiseSettledResult<string>[]
    // 50 free numbers: 50 creates get one each, the other 10 an exact 409.
    expect(settled.filter((o) => o.status === 'fulfilled').length).toBe(50)
    expect(settled.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(10).fill('no_masked_number_available'))
  })

  test('8 concurrent creates on a nearly full pool ask about each busy number about once, not once per create', async () => {
    const held = pool(20_000)
    const busy = new Set([...held.numbers.keys()].slice(0, 19_980))
    const { store, calls, insert } = storeWith(busy)
    // Each statement takes a moment, so the 8 walks are in flight together.
    const slowStore = { ...store, freeAmong: async (o: never) => (await Bun.sleep(2), store.freeAmong(o)) } as unknown as typeof store
    const allocator = new NumberAllocator(slowStore, async () => 0)
    const got = await Promise.all(Array.from({ length: 8 }, () => allocator.allocate(request(held), insert)))
    expect(new Set(got).size).toBe(8)
    // Each walk on its own asked about all 19,980 busy numbers (8 × 19,980 = 159,840 asked).
    expect(calls.candidatesAsked).toBeLessThan(2 * 19_980)
  })

  test("concurrent first creates share one read of the pool's last use and one ranking", async () => {
    const held = pool(20_000)
    const { store, calls, insert } = storeWith(new Set())
    const allocator = new NumberAllocator(store, async () => 0)
    const got = await Promise.all(Array.from({ length: 10 }, () => allocator.allocate(request(held), insert)))
    expect(new Set(got).size).toBe(10)
    expect(calls.lastUsed).toBe(4) // 20,000 numbers in reads of 5,000, once (not once per create)
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
