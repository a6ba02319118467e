/**
 * Session lists page by cursor as well as by offset (shared/list-page.ts), on real NATS and
 * PostgreSQL: a cursor walk visits exactly the offset walk's items, in order, for every status
 * filter; bad cursors are 422; `total` stops counting at the cap and says so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { newId } from '../../shared/ids'
import { TOTAL_CAP } from '../../shared/list-page'
import { createTenant } from '../../tests/support/http'
import { walkByCursor, walkByOffset } from '../../tests/support/paging'
import { startFixture, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.tp.stop())

/** `n` session rows of `tenantId` written straight to the table, oldest first, statuses cycling open/completed/expired/lapsed. */
async function seed(tenantId: string, n: number, orderOf: (i: number) => string | null = (i) => `o-${i % 7}`) {
  const base = Date.now() - n * 10
  const rows = Array.from({ length: n }, (_, i) => {
    const kind = ['open', 'completed', 'expired', 'lapsed'][i % 4]!
    const created = new Date(base + i * 10)
    const expires = new Date(kind === 'lapsed' ? Date.now() - 60_000 : created.getTime() + 3_600_000)
    return {
      id: newId('ses', created.getTime()),
      status: kind === 'lapsed' ? 'open' : kind,
      // An open session's order id is its own (one open session per order).
      order: kind === 'open' || kind === 'lapsed' ? `${kind}-${i}` : orderOf(i),
      masked: `+1202556${String(i % 10_000).padStart(4, '0')}`,
      created: created.toISOString(),
      expires: expires.toISOString(),
    }
  })
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000)
    await f.tp.platform.database.rows(sql`
      insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at, ended_at, end_reason)
      select r.id, ${tenantId}, r.ord, '+14155550001', '+14155550002', r.masked, false, r.status, 60, r.created::timestamptz, r.expires::timestamptz,
             case when r.status = 'open' then null else r.created::timestamptz end,
             case when r.status = 'open' then null else r.status end
      from json_to_recordset((${JSON.stringify(chunk.map((c) => ({ id: c.id, ord: c.order, masked: c.masked, status: c.status, created: c.created, expires: c.expires })))}::text)::json)
        as r(id text, ord text, masked text, status text, created text, expires text)`)
  }
  return rows
}

describe('session lists by cursor', () => {
  let key: string
  beforeAll(async () => {
    const t = await createTenant(f.http, f.admin, { rate_limit_per_second: 10_000 })
    key = t.key
    await seed(t.tenantId, 1203)
  })

  test('a cursor walk visits the same sessions as an offset walk, newest first, for every filter', async () => {
    for (const q of ['/v1/sessions', '/v1/sessions?status=open', '/v1/sessions?status=completed', '/v1/sessions?status=expired', '/v1/sessions?order_id=o-3', '/v1/sessions?status=expired&order_id=o-2']) {
      const byOffset = await walkByOffset(f.http, key, q)
      const byCursor = await walkByCursor(f.http, key, q, 97)
      expect(byOffset.length).toBeGreaterThan(0)
      expect(byCursor.ids).toEqual(byOffset)
      expect([...byOffset].sort().reverse()).toEqual(byOffset) // newest first
      expect(byCursor.pages).toBe(Math.max(1, Math.ceil(byOffset.length / 97)))
      expect(new Set(byCursor.totals)).toEqual(new Set([byOffset.length])) // total is the filter's, on every page
    }
    // The filters partition the list: open (live) 301, completed 301, expired 300 swept + 301 lapsed.
    expect((await f.http.get('/v1/sessions?status=open&limit=1', { key })).body.total).toBe(301)
    expect((await f.http.get('/v1/sessions?status=expired&limit=1', { key })).body.total).toBe(601)
    const expired = await f.http.get('/v1/sessions?status=expired&limit=500', { key })
    expect(expired.body.items.every((s: { status: string }) => s.status === 'expired')).toBe(true)
  })

  test('the last page has next_cursor null; a short first page too', async () => {
    const all = await f.http.get('/v1/sessions?limit=500&offset=1000', { key })
    expect(all.body.items.length).toBe(203)
    expect(all.body.next_cursor).toBeNull()
    const one = await f.http.get('/v1/sessions?order_id=o-1&limit=500', { key })
    expect(one.body).toMatchObject({ total: one.body.items.length, total_relation: 'eq', next_cursor: null })
  })

  test('an offset page carries a cursor too, so a client can switch', async () => {
    const p = await f.http.get('/v1/sessions?limit=10&offset=20', { key })
    const next = await f.http.get(`/v1/sessions?limit=10&cursor=${p.body.next_cursor}`, { key })
    const same = await f.http.get('/v1/sessions?limit=10&offset=30', { key })
    expect(next.body.items.map((s: { id: string }) => s.id)).toEqual(same.body.items.map((s: { id: string }) => s.id))
  })

  test('bad cursors and a cursor with an offset are 422, naming the parameter', async () => {
    const calls = Buffer.from('v1:call_01ABC').toString('base64url')
    for (const [q, loc] of [
      ['cursor=nonsense', 'cursor'],
      ['cursor=%2F%2F%2F', 'cursor'],
      [`cursor=${calls}`, 'cursor'], // another list's cursor
      [`cursor=${Buffer.from("v1:ses_1' or 1=1").toString('base64url')}`, 'cursor'],
      [`cursor=${'A'.repeat(201)}`, 'cursor'], // over the length bound
    ] as const) {
      const r = await f.http.get(`/v1/sessions?${q}`, { key })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['query', loc])
    }
    const first = await f.http.get('/v1/sessions?limit=5', { key })
    const both = await f.http.get(`/v1/sessions?limit=5&offset=5&cursor=${first.body.next_cursor}`, { key })
    expect(both.status).toBe(422)
    expect(both.body.detail[0].loc).toEqual(['query', 'offset'])
  })

  test("another tenant's cursor shows none of the first tenant's sessions", async () => {
    const other = await createTenant(f.http, f.admin, { rate_limit_per_second: 10_000 })
    const first = await f.http.get('/v1/sessions?limit=5', { key })
    const r = await f.http.get(`/v1/sessions?cursor=${first.body.next_cursor}`, { key: other.key })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ items: [], total: 0, next_cursor: null })
  })
})

describe('total past the cap', () => {
  test(`counts stop at ${TOTAL_CAP} and say "gte"; below it, "eq"; pages go on by cursor`, async () => {
    const t = await createTenant(f.http, f.admin, { rate_limit_per_second: 10_000 })
    await seed(t.tenantId, TOTAL_CAP + 5, () => null)
    const r = await f.http.get('/v1/sessions?limit=500', { key: t.key })
    expect(r.body).toMatchObject({ total: TOTAL_CAP, total_relation: 'gte' })
    const completed = await f.http.get('/v1/sessions?status=completed&limit=1', { key: t.key })
    expect(completed.body).toMatchObject({ total: Math.ceil((TOTAL_CAP + 5 - 1) / 4), total_relation: 'eq' })
    const walk = await walkByCursor(f.http, t.key, '/v1/sessions', 500)
    expect(walk.ids.length).toBe(TOTAL_CAP + 5)
    expect(new Set(walk.ids).size).toBe(TOTAL_CAP + 5)
  })
})
