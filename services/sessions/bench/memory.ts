/**
 * Issue 15: what the sessions service's read models cost in memory, per number and per open
 * session, without a database (the directory is fed the pages did would send, JSON round trip
 * included; the store answers last use as PostgreSQL rows would): JS heap after a full GC,
 * `bun:jsc` heapStats, before and after each structure is filled.
 *
 *   bun services/sessions/bench/memory.ts [numbers=100000]
 */
import { heapStats } from 'bun:jsc'
import type { Bus } from '../../../shared/bus/bus'
import type { NumberState } from '../../../shared/contracts/did'
import { NumberAllocator } from '../allocate-number'
import { NumberDirectory } from '../number-directory'
import { RouteIndex } from '../route-index'
import type { RouteSession } from '../route-decision'
import type { SessionStore } from '../session-store'

const N = Number(process.argv[2] ?? 100_000)
const TENANT = 'ten_01jd7k3m9x2b5q8r4t6v0w1y3z'
const e164 = (i: number) => `+1301${2_000_000 + i}`
const heap = () => {
  Bun.gc(true)
  Bun.gc(true)
  return heapStats().heapSize
}

const pool: NumberState[] = Array.from({ length: N }, (_, i) => ({
  e164: e164(i),
  did_id: `did_01jd7k${String(i).padStart(20, '0')}`,
  assignment_id: `asg_01jd7k${String(i).padStart(20, '0')}`,
  tenant_id: TENANT,
  country: 'US',
  status: 'active',
}))
const bus = {
  async request(c: { subject: string }, p: { after?: string; limit?: number }) {
    if (c.subject !== 'did.tenant.numbers') throw new Error(c.subject)
    const from = p.after ? pool.findIndex((n) => n.did_id === p.after) + 1 : 0
    // Through JSON, as over NATS: every string is the receiver's own.
    return JSON.parse(JSON.stringify({ tenant_id: TENANT, numbers: pool.slice(from, from + (p.limit ?? 1000)) }))
  },
} as unknown as Bus
const store = {
  async lastUsed(numbers: string[]) {
    // As PostgreSQL rows: fresh strings, and 99.9 % of the numbers used before.
    return new Map(numbers.filter((_, i) => i % 1000 !== 0).map((n, i) => [JSON.parse(JSON.stringify(n)) as string, Date.now() - 86_400_000 + i]))
  },
  async freeAmong() {
    return []
  },
} as unknown as SessionStore

const h0 = heap()
const directory = new NumberDirectory(bus, 60_000)
const held = await directory.numbersOf(TENANT)
const h1 = heap()
const allocator = new NumberAllocator(store, async () => 0)
const free = e164(0)
await allocator.allocate({ tenantId: TENANT, exclusive: true, driver: '+14155550001', customer: '+14155550002', customerCountry: 'US', held }, async (n) => (n === free ? n : undefined))
const h2 = heap()
const index = new RouteIndex(60_000, 1_000_000)
const sessions: RouteSession[] = []
for (let i = 0; i < N; i++) {
  const s = JSON.parse(
    JSON.stringify({ id: `ses_01jd7k${String(i).padStart(20, '0')}`, tenantId: TENANT, orderId: `order-${i}`, driverPhone: `+1415${3_000_000 + i}`, customerPhone: `+1415${6_000_000 + i}`, maskedE164: e164(i), status: 'open' }),
  )
  index.put({ ...s, expiresAt: new Date(Date.now() + 3_600_000), pinRequired: false, callTimeLimitSeconds: null, ringTimeoutSeconds: null, greetingPrompt: null, record: false })
}
sessions.length = 0
const h3 = heap()
const keys = index.size
const per = (a: number, b: number) => ((b - a) / N).toFixed(0)
console.log(`numbers: ${N}; directory ${per(h0, h1)} B/number; ranking + last use ${per(h1, h2)} B/number; together ${per(h0, h2)} B/number`)
console.log(`route index: ${N} open sessions (both parties' keys): ${per(h2, h3)} B/open session; heap ${(h3 / 1e6).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`)
// Keep every structure alive up to the last measurement (JSC may otherwise collect them early).
if (keys !== 2 * N || held.numbers.size !== N || !allocator) throw new Error(`index ${index.size}, numbers ${held.numbers.size}`)
