/**
 * The DID pool through the gateway on real NATS and PostgreSQL: operator import, list, assign,
 * release (with cool-down), suspend and resume; the tenant's assignment list; the change events.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { did } from '../../shared/contracts/did'
import type { PayloadOf } from '../../shared/contracts/define'
import { createTenant } from '../../tests/support/http'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

// A short cool-down (0.72 s) so the test can see it end.
const COOLDOWN_HOURS = 0.0002
let f: Fixture
const changes: PayloadOf<typeof did.assignmentChanged>[] = []
beforeAll(async () => {
  f = await startFixture({ DID_COOLDOWN_HOURS: String(COOLDOWN_HOURS) })
  f.tp.platform.bus.subscribe(did.assignmentChanged, (c) => void changes.push(c))
})
afterAll(() => f?.tp.stop())

const post = (path: string, body?: unknown) => f.http.post(path, { bearer: f.admin, ...(body !== undefined ? { body } : {}) })

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await Bun.sleep(20)
}

describe('import', () => {
  test('adds new numbers and reports known ones without duplicating them', async () => {
    const first = await post('/admin/v1/dids', { numbers: ['+12025550101', '+12025550100', '+4930123456100'] })
    expect(first.status).toBe(200)
    expect(first.body.imported.map((d: any) => d.e164)).toEqual(['+12025550100', '+12025550101', '+4930123456100'])
    expect(first.body.already_known).toEqual([])
    expect(first.body.imported[0]).toMatchObject({ country: 'US', capabilities: ['voice'], status: 'available', assignment: null, available_at: null })
    expect(first.body.imported[2].country).toBe('DE')
    expect(first.body.imported[0].id).toMatch(/^did_/)

    const again = await post('/admin/v1/dids', { numbers: ['+12025550100', '+12025550102', '+12025550102'] })
    expect(again.body.imported.map((d: any) => d.e164)).toEqual(['+12025550102'])
    expect(again.body.already_known.map((d: any) => d.e164)).toEqual(['+12025550100'])
    expect(again.body.already_known[0].id).toBe(first.body.imported[0].id)
    const pool = await f.http.get('/admin/v1/dids?limit=500', { bearer: f.admin })
    expect(pool.body.items.filter((d: any) => d.e164 === '+12025550100').length).toBe(1)
  })

  test('numbers that are not E.164 make the request a 422 naming each one', async () => {
    const r = await post('/admin/v1/dids', { numbers: ['+12025550103', '2025550104', '+1555'] })
    expect(r.status).toBe(422)
    expect(r.body.detail.map((d: any) => d.loc)).toEqual([
      ['body', 'numbers', 1],
      ['body', 'numbers', 2],
    ])
    expect((await post('/admin/v1/dids', { numbers: [] })).status).toBe(422)
    const pool = await f.http.get('/admin/v1/dids?limit=500', { bearer: f.admin })
    expect(pool.body.items.map((d: any) => d.e164)).not.toContain('+12025550103')
  })

  test('operator routes need the admin token', async () => {
    expect((await f.http.post('/admin/v1/dids', { body: { numbers: ['+12025550105'] } })).status).toBe(401)
    expect((await f.http.get('/admin/v1/dids', { bearer: 'wrong-token-wrong-token' })).status).toBe(401)
  })
})

describe('assign, release, suspend, resume', () => {
  test('the full cycle, with the rules on each step and an event for each change', async () => {
    const [n] = numbers('+1202555', 200, 1)
    const a = await createTenant(f.http, f.admin)
    const b = await createTenant(f.http, f.admin)
    await post('/admin/v1/dids', { numbers: [n] })

    expect((await post('/admin/v1/dids/+12025559999/assign', { tenant_id: a.tenantId })).body.error.code).toBe('did_not_found')
    const noTenant = await post(`/admin/v1/dids/${n}/assign`, { tenant_id: 'ten_nope' })
    expect([noTenant.status, noTenant.body.error.code]).toEqual([404, 'tenant_not_found'])
    expect((await post(`/admin/v1/dids/${n}/release`)).body.error.code).toBe('did_not_assigned')

    const assigned = await post(`/admin/v1/dids/${n}/assign`, { tenant_id: a.tenantId })
    expect(assigned.status).toBe(200)
    expect(assigned.body).toMatchObject({ tenant_id: a.tenantId, e164: n, status: 'active', released_at: null, suspended_at: null })
    expect(assigned.body.id).toMatch(/^asg_/)
    const taken = await post(`/admin/v1/dids/${n}/assign`, { tenant_id: b.tenantId })
    expect([taken.status, taken.body.error.code]).toEqual([409, 'did_not_available'])

    const resumeActive = await post(`/admin/v1/dids/${n}/resume`)
    expect([resumeActive.status, resumeActive.body.error.code]).toEqual([409, 'did_not_suspended'])
    const suspended = await post(`/admin/v1/dids/${n}/suspend`)
    expect(suspended.body).toMatchObject({ status: 'suspended', id: assigned.body.id })
    expect(suspended.body.suspended_at).toMatch(/Z$/)
    expect((await post(`/admin/v1/dids/${n}/suspend`)).body.suspended_at).toBe(suspended.body.suspended_at)
    expect((await post(`/admin/v1/dids/${n}/resume`)).body).toMatchObject({ status: 'active', suspended_at: null })

    // A percent-encoded + works too.
    const released = await post(`/admin/v1/dids/${encodeURIComponent(n!)}/release`)
    expect(released.body).toMatchObject({ status: 'released', id: assigned.body.id })
    const cooling = await post(`/admin/v1/dids/${n}/assign`, { tenant_id: b.tenantId })
    expect(cooling.status).toBe(409)
    expect(cooling.body.error).toMatchObject({ code: 'did_not_available', did_status: 'cooling_down' })
    const poolEntry = (await f.http.get('/admin/v1/dids?status=cooling_down', { bearer: f.admin })).body.items.find((d: any) => d.e164 === n)
    expect(poolEntry).toMatchObject({ status: 'cooling_down', assignment: null, available_at: cooling.body.error.available_at })

    await Bun.sleep(Math.max(0, Date.parse(cooling.body.error.available_at) - Date.now()) + 20)
    const reassigned = await post(`/admin/v1/dids/${n}/assign`, { tenant_id: b.tenantId })
    expect(reassigned.status).toBe(200)
    expect(reassigned.body.id).not.toBe(assigned.body.id)

    await waitFor(() => changes.filter((c) => c.e164 === n).length >= 5)
    expect(changes.filter((c) => c.e164 === n).map((c) => [c.status, c.tenant_id])).toEqual([
      ['active', a.tenantId],
      ['suspended', a.tenantId],
      ['active', a.tenantId],
      ['released', a.tenantId],
      ['active', b.tenantId],
    ])
  })

  test('two concurrent assigns of one number: one wins', async () => {
    const [n] = numbers('+1202555', 300, 1)
    const a = await createTenant(f.http, f.admin)
    const b = await createTenant(f.http, f.admin)
    await post('/admin/v1/dids', { numbers: [n] })
    const [x, y] = await Promise.all([post(`/admin/v1/dids/${n}/assign`, { tenant_id: a.tenantId }), post(`/admin/v1/dids/${n}/assign`, { tenant_id: b.tenantId })])
    expect([x.status, y.status].sort()).toEqual([200, 409])
  })
})

describe('lists', () => {
  test('the pool: filters by status and tenant, pages with totals, 422 outside the bounds', async () => {
    const pool = numbers('+1202555', 400, 6)
    const t = await tenantWith(f, pool.slice(0, 4))
    await post(`/admin/v1/dids/${pool[1]}/suspend`)
    await post(`/admin/v1/dids/${pool[2]}/release`)
    await post('/admin/v1/dids', { numbers: pool.slice(4) })
    const q = async (query: string) => (await f.http.get(`/admin/v1/dids?${query}`, { bearer: f.admin })).body
    const mine = await q(`tenant_id=${t.tenantId}`)
    expect(mine.items.map((d: any) => [d.e164, d.status])).toEqual([
      [pool[0], 'active'],
      [pool[1], 'suspended'],
      [pool[3], 'active'],
    ])
    expect((await q(`tenant_id=${t.tenantId}&status=active`)).total).toBe(2)
    expect((await q(`tenant_id=${t.tenantId}&status=suspended`)).items[0].assignment.tenant_id).toBe(t.tenantId)
    const available = (await q('status=available&limit=500')).items.map((d: any) => d.e164)
    expect(available).toEqual(expect.arrayContaining(pool.slice(4)))
    expect(available).not.toContain(pool[0])
    expect((await q('status=cooling_down&limit=500')).items.map((d: any) => d.e164)).toContain(pool[2])
    const all = await q('limit=500')
    const page = await q('limit=2&offset=1')
    expect(page.items.map((d: any) => d.e164)).toEqual(all.items.slice(1, 3).map((d: any) => d.e164))
    expect(page.total).toBe(all.total)
    for (const bad of ['limit=0', 'limit=501', 'offset=-1', 'status=free']) expect((await f.http.get(`/admin/v1/dids?${bad}`, { bearer: f.admin })).status).toBe(422)
  })

  test("the tenant's assignments: active by default, history on request, newest first, isolated", async () => {
    const pool = numbers('+1202555', 500, 4)
    const t = await tenantWith(f, pool)
    const other = await tenantWith(f, numbers('+1202555', 510, 1))
    await post(`/admin/v1/dids/${pool[0]}/release`)
    await post(`/admin/v1/dids/${pool[1]}/suspend`)
    const q = async (query: string, key = t.key) => (await f.http.get(`/v1/did/assignments${query}`, { key })).body
    const active = await q('')
    expect(active).toMatchObject({ limit: 50, offset: 0, total: 2 })
    expect(active.items.map((a: any) => a.e164)).toEqual([pool[3], pool[2]])
    expect(Object.keys(active.items[0]).sort()).toEqual(['assigned_at', 'country', 'did_id', 'e164', 'id', 'released_at', 'status', 'suspended_at'])
    expect((await q('?status=released')).items.map((a: any) => [a.e164, a.status, typeof a.released_at])).toEqual([[pool[0], 'released', 'string']])
    expect((await q('?status=suspended')).items.map((a: any) => a.e164)).toEqual([pool[1]])
    const all = await q('?status=all')
    expect(all.total).toBe(4)
    expect(all.items.map((a: any) => a.e164)).toEqual([...pool].reverse())
    expect((await q('?status=all&limit=1&offset=3')).items.map((a: any) => a.e164)).toEqual([pool[0]])
    // the internal paged fetch sessions uses: current numbers only, in E.164 order
    const page1 = await f.tp.platform.bus.request(did.tenantNumbers, { tenant_id: t.tenantId, limit: 2 })
    const page2 = await f.tp.platform.bus.request(did.tenantNumbers, { tenant_id: t.tenantId, limit: 2, after: page1.numbers[1]!.e164 })
    expect([...page1.numbers, ...page2.numbers].map((n) => [n.e164, n.status])).toEqual([
      [pool[1]!, 'suspended'],
      [pool[2]!, 'active'],
      [pool[3]!, 'active'],
    ])
    // another tenant sees only its own
    expect((await q('?status=all', other.key)).items.map((a: any) => a.e164)).toEqual(['+12025550510'])
    for (const bad of ['?limit=0', '?limit=501', '?offset=-1', '?status=open']) {
      const r = await f.http.get(`/v1/did/assignments${bad}`, { key: t.key })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc[0]).toBe('query')
    }
  })
})
