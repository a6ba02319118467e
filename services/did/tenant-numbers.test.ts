/**
 * did.tenant.numbers on real NATS and PostgreSQL: pages by number id cover a big pool exactly
 * once, each page starting at its bound in a number-ordered index (no sort of the pool); an E.164 `after`
 * (a sessions instance from before) still pages by number.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { did } from '../../shared/contracts/did'
import type { ServiceDefinition } from '../../shared/service'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { didService } from './service'

let tp: TestPlatform
const POOL = 5000
beforeAll(async () => {
  tp = await startTestPlatform([didService] as unknown as ServiceDefinition[])
  const db = tp.platform.database
  await db.rows(sql`insert into did.dids (id, e164, country) select 'did_00' || lpad(i::text, 8, '0'), '+1303' || (2000000 + (i * 7919) % 1000000)::text, 'US' from generate_series(0, ${POOL} - 1) i`)
  await db.rows(sql`insert into did.did_assignments (id, did_id, tenant_id, status) select 'asg_00' || lpad(i::text, 8, '0'), 'did_00' || lpad(i::text, 8, '0'), case when i % 5 = 0 then 'ten_other' else 'ten_big' end, case when i % 50 = 1 then 'suspended' when i % 97 = 3 then 'released' else 'active' end from generate_series(0, ${POOL} - 1) i`)
  await db.rows(sql`analyze did.dids, did.did_assignments`)
})
afterAll(() => tp?.stop())

describe('did.tenant.numbers', () => {
  test('pages by did_id cover every current number of the tenant exactly once', async () => {
    const bus = tp.platform.bus
    const seen: string[] = []
    let pages = 0
    for (let after: string | undefined; ; ) {
      const page = await bus.request(did.tenantNumbers, { tenant_id: 'ten_big', limit: 700, ...(after ? { after } : {}) })
      pages++
      seen.push(...page.numbers.map((n) => n.did_id))
      expect(page.numbers.every((n) => n.tenant_id === 'ten_big' && (n.status === 'active' || n.status === 'suspended'))).toBe(true)
      if (page.numbers.length < 700) break
      after = page.numbers.at(-1)!.did_id
    }
    const [expected] = await tp.platform.database.rows<{ n: number }>(sql`select count(*)::int as n from did.did_assignments where tenant_id = 'ten_big' and status in ('active', 'suspended')`)
    expect(seen.length).toBe(expected!.n)
    expect(new Set(seen).size).toBe(seen.length)
    expect([...seen].sort()).toEqual(seen)
    expect(pages).toBe(Math.floor(expected!.n / 700) + 1)
  })

  test('a page deep in the pool starts at its bound in a number-ordered index: no sort of the pool', async () => {
    const [mid] = await tp.platform.database.rows<{ id: string }>(sql`select did_id as id from did.did_assignments where tenant_id = 'ten_big' order by did_id offset 3000 limit 1`)
    const plan = await tp.platform.database.rows<{ 'QUERY PLAN': unknown }>(sql`explain (analyze, format json)
      select * from did.did_assignments a join did.dids d on d.id = a.did_id
      where a.tenant_id = 'ten_big' and a.status in ('active', 'suspended') and a.did_id > ${mid!.id} order by a.did_id limit 100`)
    const text = JSON.stringify(plan)
    expect(text).not.toContain('"Sort"')
    expect(text).toMatch(/"Index Cond":"\(\(?(a\.)?(tenant_id = 'ten_big'::text\) AND \()?did_id > 'did_/)
  })

  test('an E.164 after still pages by number', async () => {
    const first = await tp.platform.bus.request(did.tenantNumbers, { tenant_id: 'ten_big', limit: 10, after: '+1' })
    const sortedByNumber = [...first.numbers.map((n) => n.e164)].sort()
    expect(first.numbers.map((n) => n.e164)).toEqual(sortedByNumber)
    const next = await tp.platform.bus.request(did.tenantNumbers, { tenant_id: 'ten_big', limit: 10, after: first.numbers.at(-1)!.e164 })
    expect(next.numbers[0]!.e164 > first.numbers.at(-1)!.e164).toBe(true)
  })
})
