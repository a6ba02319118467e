/**
 * Number sharing under concurrency (issue 4, "what must be shown"): the unique indexes, not luck,
 * keep sessions apart, on real PostgreSQL through the gateway and NATS.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { violatedConstraint } from '../../shared/db/database'
import { serviceLogger } from '../../shared/log'
import { loadServiceConfig, type RunningService } from '../../shared/service'
import { sessionsService } from './service'
import { ConflictError, SessionStore, type SessionRow } from './session-store'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.tp.stop())

const phone = (i: number) => `+1415555${String(i).padStart(4, '0')}`

/** Open sessions per (number, phone) across all tenants, straight from the table: must all be 1. */
async function maxPartiesPerNumberPhone(): Promise<number> {
  const [r] = await f.tp.platform.database.rows<{ m: number | null }>(sql`
    select max(n)::int as m from (
      select masked_e164, p, count(*) as n from (
        select masked_e164, driver_phone as p from sessions.sessions where status = 'open'
        union all select masked_e164, customer_phone from sessions.sessions where status = 'open'
      ) x group by masked_e164, p
    ) y`)
  return r?.m ?? 0
}

describe('exclusive mode', () => {
  test('200 concurrent creates on 50 free numbers: exactly 50 succeed on 50 distinct numbers, 150 get 409', async () => {
    const pool = numbers('+1202555', 1000, 50)
    const t = await tenantWith(f, pool)
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(2 * i), customer_phone: phone(2 * i + 1) } })),
    )
    const ok = replies.filter((r) => r.status === 200)
    const refused = replies.filter((r) => r.status === 409)
    expect(ok.length).toBe(50)
    expect(refused.length).toBe(150)
    for (const r of refused) expect(r.body.error.code).toBe('no_masked_number_available')
    const used = new Set(ok.map((r) => r.body.masked_e164))
    expect(used.size).toBe(50)
    for (const n of used) expect(pool).toContain(n)

    // The table agrees: never two open sessions on one number.
    const [row] = await f.tp.platform.database.rows<{ m: number }>(sql`
      select max(n)::int as m from (select masked_e164, count(*) as n from sessions.sessions where status = 'open' and tenant_id = ${t.tenantId} group by masked_e164) x`)
    expect(row!.m).toBe(1)
    const list = await f.http.get('/v1/sessions?status=open&limit=500', { key: t.key })
    expect(list.body.total).toBe(50)

    // Completing one frees exactly its number for the next create.
    const freed = ok[0]!.body
    expect((await f.http.post(`/v1/sessions/${freed.id}/complete`, { key: t.key })).status).toBe(200)
    const again = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(900), customer_phone: phone(901) } })
    expect(again.status).toBe(200)
    expect(again.body.masked_e164).toBe(freed.masked_e164)
  })
})

describe('the unique indexes are the final word', () => {
  /** A raw insert of a session (and its party rows), bypassing every check of the service. */
  const raw = (o: { number: string; driver: string; customer: string; exclusive: boolean; order?: string }) => {
    const id = `ses_${Math.random().toString(36).slice(2)}`
    return f.tp.platform.database
      .rows(sql`
        with s as (
          insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at)
          values (${id}, 'ten_x', ${o.order ?? null}, ${o.driver}, ${o.customer}, ${o.number}, ${o.exclusive}, 'open', 60, now(), now() + interval '1 hour')
          returning id, masked_e164, driver_phone, customer_phone, expires_at)
        insert into sessions.session_parties (session_id, tenant_id, masked_e164, phone, expires_at)
        select id, 'ten_x', masked_e164, driver_phone, expires_at from s union all select id, 'ten_x', masked_e164, customer_phone, expires_at from s`)
      .then(
        () => 'inserted',
        (e) => violatedConstraint(e) ?? String(e),
      )
  }

  test('straight inserts past the service: a second exclusive session, a phone twice on a number, an open order twice are refused by the database', async () => {
    expect(await raw({ number: '+12025558000', driver: phone(8000), customer: phone(8001), exclusive: true })).toBe('inserted')
    expect(await raw({ number: '+12025558000', driver: phone(8002), customer: phone(8003), exclusive: true })).toBe('sessions_open_exclusive_number_uq')
    // shared: another pair on one number is fine; a phone already a party there is not, in either role
    expect(await raw({ number: '+12025558001', driver: phone(8000), customer: phone(8001), exclusive: false })).toBe('inserted')
    expect(await raw({ number: '+12025558001', driver: phone(8004), customer: phone(8005), exclusive: false })).toBe('inserted')
    expect(await raw({ number: '+12025558001', driver: phone(8006), customer: phone(8000), exclusive: false })).toBe('session_parties_number_phone_uq')
    expect(await raw({ number: '+12025558002', driver: phone(8010), customer: phone(8011), exclusive: true, order: 'ord-x' })).toBe('inserted')
    expect(await raw({ number: '+12025558003', driver: phone(8012), customer: phone(8013), exclusive: true, order: 'ord-x' })).toBe('sessions_open_order_uq')
  })

  test('the service maps each of them to its conflict', async () => {
    const store = new SessionStore(f.tp.platform.database)
    const now = new Date()
    const row = (over: Partial<SessionRow>): SessionRow => ({
      id: `ses_${Math.random().toString(36).slice(2)}`,
      tenantId: 'ten_y',
      orderId: null,
      driverPhone: phone(8100),
      customerPhone: phone(8101),
      maskedE164: '+12025558100',
      exclusive: true,
      status: 'open',
      ttlMinutes: 60,
      createdAt: now,
      expiresAt: new Date(now.getTime() + 3_600_000),
      endedAt: null,
      endReason: null,
      pinRequired: false,
      pinLength: null,
      driverPin: null,
      customerPin: null,
      callTimeLimitSeconds: null,
      ringTimeoutSeconds: null,
      greetingPrompt: null,
      record: false,
      ...over,
    })
    const outcome = (p: Promise<boolean>) => p.then((ok) => (ok ? 'inserted' : 'busy'), (e) => (e instanceof ConflictError ? e.conflict : String(e)))
    expect(await outcome(store.insertIfFree(row({}), 'whole'))).toBe('inserted')
    // the snapshot check answers "busy" without touching the index
    expect(await outcome(store.insertIfFree(row({ driverPhone: phone(8102), customerPhone: phone(8103) }), 'whole'))).toBe('busy')
    // a session of another tenant on the number is invisible to the check, the index still refuses
    expect(await outcome(store.insertIfFree(row({ tenantId: 'ten_z', driverPhone: phone(8104), customerPhone: phone(8105) }), 'whole'))).toBe('number')
    expect(await outcome(store.insertIfFree(row({ tenantId: 'ten_z', maskedE164: '+12025558101', exclusive: false }), 'parties'))).toBe('inserted')
    expect(await outcome(store.insertIfFree(row({ tenantId: 'ten_w', maskedE164: '+12025558101', exclusive: false, driverPhone: phone(8106) }), 'parties'))).toBe('party')
    expect(await outcome(store.insertIfFree(row({ maskedE164: '+12025558102', orderId: 'o-1', driverPhone: phone(8110), customerPhone: phone(8111) }), 'whole'))).toBe('inserted')
    expect(await outcome(store.insertIfFree(row({ maskedE164: '+12025558103', orderId: 'o-1', driverPhone: phone(8112), customerPhone: phone(8113) }), 'whole'))).toBe('order')
  })
})

describe('shared mode', () => {
  test('concurrent creates over few numbers: numbers are shared, but no phone is a party of two open sessions on one number', async () => {
    const pool = numbers('+1202555', 2000, 3)
    const t = await tenantWith(f, pool, { number_sharing: 'shared' })
    // 6 drivers x 6 customers, every pair once: each phone wants 6 sessions, 3 numbers can give it at most 3.
    const pairs = Array.from({ length: 36 }, (_, i) => [phone(3000 + Math.floor(i / 6)), phone(3100 + (i % 6))] as const)
    const replies = await Promise.all(pairs.map(([d, c]) => f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: d, customer_phone: c } })))
    const ok = replies.filter((r) => r.status === 200).map((r) => r.body)
    for (const r of replies) if (r.status !== 200) expect(r.body.error.code).toBe('no_masked_number_available')
    expect(await maxPartiesPerNumberPhone()).toBe(1)
    // Sharing really happened: some number carries several open sessions at once.
    const perNumber = new Map<string, number>()
    for (const s of ok) perNumber.set(s.masked_e164, (perNumber.get(s.masked_e164) ?? 0) + 1)
    expect(Math.max(...perNumber.values())).toBeGreaterThan(1)
    // Each phone got at most one session per number, so at most 3, and the pool was used fully.
    const perPhone = new Map<string, number>()
    for (const s of ok) for (const p of [s.driver_phone, s.customer_phone]) perPhone.set(p, (perPhone.get(p) ?? 0) + 1)
    expect(Math.max(...perPhone.values())).toBeLessThanOrEqual(3)
    expect(ok.length).toBeGreaterThanOrEqual(12)
  })

  test('an explicit masked_e164 racing an automatic create never ends up sharing its number (20 rounds)', async () => {
    // Numbers and phones of its own (the raw-insert tests above use +12025558000 and phones 8000…).
    const [n] = numbers('+1202555', 8500, 1) as [string]
    const t = await tenantWith(f, [n], { number_sharing: 'shared' })
    const outcomes = new Map<string, number>()
    for (let round = 0; round < 20; round++) {
      const [explicit, auto] = await Promise.all([
        f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(8500 + 4 * round), customer_phone: phone(8501 + 4 * round), masked_e164: n } }),
        f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(8502 + 4 * round), customer_phone: phone(8503 + 4 * round) } }),
      ])
      const key = `${explicit.status}/${auto.status}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
      // The explicit one holds the number alone: both cannot be open on it.
      expect([round, key]).not.toEqual([round, '200/200'])
      const [shared] = await f.tp.platform.database.rows<{ n: number }>(sql`
        select count(*)::int as n from sessions.sessions s
        where s.status = 'open' and s.masked_e164 = ${n} and s.tenant_id = ${t.tenantId}
          and exists (select 1 from sessions.sessions x where x.status = 'open' and x.exclusive and x.masked_e164 = ${n} and x.id <> s.id)`)
      expect(shared!.n).toBe(0)
      for (const r of [explicit, auto]) if (r.status === 200) expect((await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key: t.key })).status).toBe(200)
    }
    // Each round one of the two got the number.
    expect([...outcomes.keys()].every((k) => k === '200/409' || k === '409/200')).toBe(true)
  })

  test('a pool of 2N-1 numbers serves parties with N concurrent sessions each (N = 3, 5 numbers)', async () => {
    const N = 3
    const pool = numbers('+1202555', 4000, 2 * N - 1)
    const t = await tenantWith(f, pool, { number_sharing: 'shared' })
    // An N-regular bipartite workload: 8 drivers, 8 customers, each in exactly N sessions, all at once.
    const k = 8
    const pairs = Array.from({ length: k * N }, (_, i) => [phone(5000 + (i % k)), phone(5100 + ((i % k) + Math.floor(i / k)) % k)] as const)
    const replies = await Promise.all(pairs.map(([d, c]) => f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: d, customer_phone: c } })))
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200))
    expect(await maxPartiesPerNumberPhone()).toBe(1)
  })

  test('the bound is tight: with 2N-2 numbers a party pair can be refused, with one more it is served', async () => {
    // Driver D holds N-1 = 1 session, customer C holds 1, on different numbers (least recently used
    // picks a fresh one each time); (D, C) then needs a third number.
    const t = await tenantWith(f, numbers('+1202555', 6000, 2), { number_sharing: 'shared' })
    const D = phone(7000)
    const C = phone(7001)
    const a = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: D, customer_phone: phone(7002) } })
    const b = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(7003), customer_phone: C } })
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    expect(a.body.masked_e164).not.toBe(b.body.masked_e164)
    const refused = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: D, customer_phone: C } })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('no_masked_number_available')
    // One more number (2N-1 = 3): served at once, the new number picked up through did's event.
    const extra = '+12025556002'
    await f.http.post('/admin/v1/dids', { bearer: f.admin, body: { numbers: [extra] } })
    expect((await f.http.post(`/admin/v1/dids/${extra}/assign`, { bearer: f.admin, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const served = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: D, customer_phone: C } })
    expect(served.status).toBe(200)
    expect(served.body.masked_e164).toBe(extra)
  })
})

describe('caller-id and PIN sessions on one free number', () => {
  // A number carries caller-id sessions or PIN sessions, never both (docs/adr/0009): the two kinds
  // check different tables, so only the number's lock in the insert's transaction keeps them apart.
  const kinds = (tenantId: string, n: string) =>
    f.tp.platform.database.rows<{ pin: boolean; n: number }>(sql`
      select pin_required as pin, count(*)::int as n from sessions.sessions
      where status = 'open' and masked_e164 = ${n} and tenant_id = ${tenantId} group by pin_required`)

  test('store: an exclusive and a PIN insert racing on a fresh number, 200 rounds: never both', async () => {
    const store = new SessionStore(f.tp.platform.database)
    const rounds = 200
    const both: string[] = []
    const won = { exclusive: 0, pin: 0 }
    for (let round = 0; round < rounds; round++) {
      const n = `+1202557${String(round).padStart(4, '0')}`
      const now = new Date()
      const base = {
        tenantId: 'ten_race',
        orderId: null,
        status: 'open' as const,
        ttlMinutes: 60,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        endedAt: null,
        endReason: null,
        maskedE164: n,
        callTimeLimitSeconds: null,
        ringTimeoutSeconds: null,
        greetingPrompt: null,
        record: false,
      }
      const callerId: SessionRow = { ...base, id: `ses_e${round}_${process.pid}`, driverPhone: phone(2 * round), customerPhone: phone(2 * round + 1), exclusive: true, pinRequired: false, pinLength: null, driverPin: null, customerPin: null }
      const pin: SessionRow = { ...base, id: `ses_p${round}_${process.pid}`, driverPhone: phone(2 * round), customerPhone: phone(2 * round + 1), exclusive: false, pinRequired: true, pinLength: 6, driverPin: '123456', customerPin: '654321' }
      const [e, p] = await Promise.all([store.insertIfFree(callerId, 'whole'), store.insertIfFree(pin, 'pin')])
      if (e && p) both.push(n)
      if (e) won.exclusive++
      if (p) won.pin++
      const rows = await kinds('ten_race', n)
      expect(rows.length).toBe(1)
    }
    expect(both).toEqual([])
    // Every round one of them took the number.
    expect(won.exclusive + won.pin).toBe(rounds)
  }, 60_000)

  test('API: a caller-id create and a PIN create on an exclusive tenant\'s one free number, 40 rounds: one gets it, the other 409', async () => {
    const [n] = numbers('+1202557', 9000, 1) as [string]
    const t = await tenantWith(f, [n])
    const outcomes = new Map<string, number>()
    for (let round = 0; round < 40; round++) {
      const [callerId, pin] = await Promise.all([
        f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(3000 + 4 * round), customer_phone: phone(3001 + 4 * round) } }),
        f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(3002 + 4 * round), customer_phone: phone(3003 + 4 * round), pin_required: true } }),
      ])
      const key = `${callerId.status}/${pin.status}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
      expect([round, key]).not.toEqual([round, '200/200'])
      expect((await kinds(t.tenantId, n)).length).toBeLessThanOrEqual(1)
      for (const r of [callerId, pin]) if (r.status === 200) expect((await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key: t.key })).status).toBe(200)
    }
    expect([...outcomes.keys()].every((k) => k === '200/409' || k === '409/200')).toBe(true)
  }, 60_000)
})

// Last: the extra instances keep serving on this bus once started, so nothing after relies on one allocator.
describe('several instances', () => {
  test('three sessions instances (separate allocators) racing: still exactly one session per number', async () => {
    const config = loadServiceConfig(sessionsService, f.tp.env)
    const extra: RunningService[] = []
    for (let i = 0; i < 2; i++) {
      extra.push(await sessionsService.start({ bus: f.tp.platform.bus, database: f.tp.platform.database, log: serviceLogger('sessions-extra', 'warn'), config }))
    }
    try {
      const pool = numbers('+1202555', 9000, 20)
      const t = await tenantWith(f, pool)
      const replies = await Promise.all(
        Array.from({ length: 120 }, (_, i) => f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(6000 + 2 * i), customer_phone: phone(6001 + 2 * i) } })),
      )
      const ok = replies.filter((r) => r.status === 200)
      expect(ok.length).toBe(20)
      expect(new Set(ok.map((r) => r.body.masked_e164)).size).toBe(20)
      for (const r of replies) if (r.status !== 200) expect([r.status, r.body.error.code]).toEqual([409, 'no_masked_number_available'])
    } finally {
      for (const x of extra) await x.stop()
    }
  })
})
