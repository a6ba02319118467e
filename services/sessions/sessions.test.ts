/**
 * The tenant sessions API end to end in one process (gateway, identity, did, sessions) on real
 * NATS and PostgreSQL: validation, explicit numbers, allocation preferences, order ids,
 * Idempotency-Key, reads, lists, completion, number release and suspension, tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTenant } from '../../tests/support/http'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'
import { eventually } from '../../tests/support/eventually'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.tp.stop())

let seq = 0
/** A fresh pair of distinct, valid phones per call. */
const pair = () => {
  seq += 2
  return { driver_phone: `+1415555${String(seq).padStart(4, '0')}`, customer_phone: `+1415555${String(seq + 1).padStart(4, '0')}` }
}

describe('create: record', () => {
  test("record defaults to the tenant's record_calls setting; an explicit value wins; retention within the platform's bounds", async () => {
    const { key } = await tenantWith(f, numbers('+1202556', 100, 4))
    const first = await f.http.post('/v1/sessions', { key, body: pair() })
    expect(first.body.record).toBe(false)
    const set = await f.http.patch('/v1/settings', { key, body: { record_calls: true, recording_retention_days: 7 } })
    expect(set.status).toBe(200)
    expect(set.body).toMatchObject({ record_calls: true, recording_retention_days: 7 })
    // identity.tenant.updated drops sessions' cached settings.
    let second = await f.http.post('/v1/sessions', { key, body: pair() })
    for (let i = 0; i < 100 && second.body.record !== true; i++) {
      await f.http.post(`/v1/sessions/${second.body.id}/complete`, { key })
      await Bun.sleep(20)
      second = await f.http.post('/v1/sessions', { key, body: pair() })
    }
    expect(second.body.record).toBe(true)
    const optedOut = await f.http.post('/v1/sessions', { key, body: { ...pair(), record: false } })
    expect(optedOut.body.record).toBe(false)
    expect((await f.http.get(`/v1/sessions/${second.body.id}`, { key })).body.record).toBe(true)
    const tooLong = await f.http.patch('/v1/settings', { key, body: { recording_retention_days: 400 } })
    expect(tooLong.status).toBe(422)
    expect(tooLong.body.detail[0].loc).toEqual(['body', 'recording_retention_days'])
    expect(tooLong.body.detail[0].msg).toContain('1 to 365')
  })
})

describe('create: validation', () => {
  let key: string
  beforeAll(async () => {
    key = (await tenantWith(f, numbers('+1202555', 100, 2))).key
  })

  test('the reply is the session object, TTL 60 min by default', async () => {
    const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), order_id: 'shape-1' } })
    expect(r.status).toBe(200)
    expect(Object.keys(r.body).sort()).toEqual(
      [
        ...['id', 'tenant_id', 'order_id', 'driver_phone', 'customer_phone', 'masked_e164', 'status', 'ttl_minutes', 'created_at', 'expires_at', 'ended_at', 'end_reason'],
        // additive: PIN sessions, per-session limits and greeting (null unless given)
        ...['pin_required', 'pin_length', 'driver_pin', 'customer_pin', 'call_time_limit_seconds', 'ring_timeout_seconds', 'greeting_prompt'],
        // additive: recording
        'record',
      ].sort(),
    )
    expect(r.body.record).toBe(false)
    expect(r.body.id).toMatch(/^ses_[0-9A-Z]{26}$/)
    expect(r.body).toMatchObject({ order_id: 'shape-1', status: 'open', ttl_minutes: 60, ended_at: null, end_reason: null })
    expect(r.body.created_at).toMatch(/Z$/)
    expect(Date.parse(r.body.expires_at) - Date.parse(r.body.created_at)).toBe(60 * 60_000)
    await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key })
  })

  test('TTL bounds: 1 and 10080 accepted, 0 and 10081 are 422', async () => {
    for (const ttl of [1, 10080]) {
      const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), ttl_minutes: ttl } })
      expect(r.status).toBe(200)
      expect(Date.parse(r.body.expires_at) - Date.parse(r.body.created_at)).toBe(ttl * 60_000)
      await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key })
    }
    for (const ttl of [0, 10081, 1.5]) {
      const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), ttl_minutes: ttl } })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['body', 'ttl_minutes'])
    }
  })

  test('phones must be E.164 (national formats are 422) and differ', async () => {
    const national = await f.http.post('/v1/sessions', { key, body: { driver_phone: '4155550100', customer_phone: '+14155550101' } })
    expect(national.status).toBe(422)
    expect(national.body.detail.map((d: { loc: string[] }) => d.loc)).toEqual([['body', 'driver_phone']])
    const invalid = await f.http.post('/v1/sessions', { key, body: { driver_phone: '+14155550100', customer_phone: '+15555550100' } })
    expect(invalid.status).toBe(422)
    expect(invalid.body.detail[0].loc).toEqual(['body', 'customer_phone'])
    const same = await f.http.post('/v1/sessions', { key, body: { driver_phone: '+14155550100', customer_phone: '+14155550100' } })
    expect(same.status).toBe(422)
    expect(same.body.detail[0].msg).toContain('differ')
    const missing = await f.http.post('/v1/sessions', { key, body: { driver_phone: '+14155550100' } })
    expect(missing.status).toBe(422)
    expect(missing.body.detail[0]).toMatchObject({ loc: ['body', 'customer_phone'], type: 'missing' })
    const badMasked = await f.http.post('/v1/sessions', { key, body: { ...pair(), masked_e164: '2025550100' } })
    expect(badMasked.status).toBe(422)
    expect(badMasked.body.detail[0].loc).toEqual(['body', 'masked_e164'])
  })

  test('scopes: sessions:write to create, sessions:read to read', async () => {
    const t = await createTenant(f.http, f.admin, { rate_limit_per_second: 1000 })
    const readOnly = await f.http.post('/v1/api-keys', { key: t.key, body: { scopes: ['sessions:read'] } })
    const r = await f.http.post('/v1/sessions', { key: readOnly.body.api_key, body: pair() })
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('insufficient_scope')
    expect((await f.http.get('/v1/sessions', { key: readOnly.body.api_key })).status).toBe(200)
    const noRead = await f.http.post('/v1/api-keys', { key: t.key, body: { scopes: ['calls:read'] } })
    expect((await f.http.get('/v1/sessions', { key: noRead.body.api_key })).status).toBe(403)
    expect((await f.http.get('/v1/did/assignments', { key: noRead.body.api_key })).status).toBe(403)
    expect((await f.http.get('/v1/sessions')).status).toBe(401)
  })
})

describe('create: explicit masked_e164', () => {
  let a: Awaited<ReturnType<typeof tenantWith>>
  let b: Awaited<ReturnType<typeof tenantWith>>
  const [mine, mine2, suspended] = numbers('+1202555', 200, 3)
  const [theirs] = numbers('+1202555', 210, 1)
  beforeAll(async () => {
    a = await tenantWith(f, [mine!, mine2!, suspended!])
    b = await tenantWith(f, [theirs!])
    expect((await f.http.post(`/admin/v1/dids/${suspended}/suspend`, { bearer: f.admin })).status).toBe(200)
  })

  test('a number not in the pool: 404 masked_number_not_found', async () => {
    const r = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: '+12025559999' } })
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('masked_number_not_found')
  })

  test("another tenant's number, or a suspended one: 403 masked_number_not_assigned", async () => {
    const other = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: theirs } })
    expect(other.status).toBe(403)
    expect(other.body.error.code).toBe('masked_number_not_assigned')
    const susp = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: suspended } })
    expect(susp.status).toBe(403)
    expect(susp.body.error.code).toBe('masked_number_not_assigned')
  })

  test('a number with an open session: 409 masked_number_busy; free again once completed', async () => {
    const first = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: mine } })
    expect(first.status).toBe(200)
    expect(first.body.masked_e164).toBe(mine)
    const busy = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: mine } })
    expect(busy.status).toBe(409)
    expect(busy.body.error.code).toBe('masked_number_busy')
    await f.http.post(`/v1/sessions/${first.body.id}/complete`, { key: a.key })
    const again = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: mine } })
    expect(again.status).toBe(200)
    await f.http.post(`/v1/sessions/${again.body.id}/complete`, { key: a.key })
  })

  test('two concurrent requests for one free number: one wins, the other gets 409', async () => {
    for (let round = 0; round < 5; round++) {
      const [x, y] = await Promise.all([
        f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: mine2 } }),
        f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), masked_e164: mine2 } }),
      ])
      expect([x.status, y.status].sort()).toEqual([200, 409])
      const loser = x.status === 409 ? x : y
      const winner = x.status === 200 ? x : y
      expect(loser.body.error.code).toBe('masked_number_busy')
      await f.http.post(`/v1/sessions/${winner.body.id}/complete`, { key: a.key })
    }
  })
})

describe('create: automatic allocation', () => {
  test("prefers a number in the customer's country, then the least recently used", async () => {
    const us = numbers('+1202555', 300, 2)
    const de = '+4930123456300'
    const t = await tenantWith(f, [...us, de])
    const toGermany = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155551000', customer_phone: '+4930123456999' } })
    expect(toGermany.body.masked_e164).toBe(de)
    // US customers: the two US numbers in turn (each create makes its number the most recently used).
    const picks: string[] = []
    for (let i = 0; i < 4; i++) {
      const r = await f.http.post('/v1/sessions', { key: t.key, body: pair() })
      picks.push(r.body.masked_e164)
      await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key: t.key })
    }
    expect(picks).toEqual([us[0]!, us[1]!, us[0]!, us[1]!])
    // Home numbers busy: a foreign one rather than none.
    const busyHome = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), masked_e164: us[0] } })
    const busyHome2 = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), masked_e164: us[1] } })
    await f.http.post(`/v1/sessions/${toGermany.body.id}/complete`, { key: t.key })
    const abroad = await f.http.post('/v1/sessions', { key: t.key, body: pair() })
    expect(abroad.body.masked_e164).toBe(de)
    for (const s of [busyHome, busyHome2, abroad]) await f.http.post(`/v1/sessions/${s.body.id}/complete`, { key: t.key })
  })

  test('a tenant without numbers: 409 no_masked_number_available', async () => {
    const t = await tenantWith(f, [])
    const r = await f.http.post('/v1/sessions', { key: t.key, body: pair() })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('no_masked_number_available')
  })
})

describe('order_id', () => {
  test('an open session with the same order_id: 409 session_exists with its id; allowed again once it ended', async () => {
    const t = await tenantWith(f, numbers('+1202555', 400, 3))
    const first = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), order_id: 'ride-42' } })
    const dup = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), order_id: 'ride-42' } })
    expect(dup.status).toBe(409)
    expect(dup.body.error).toMatchObject({ code: 'session_exists', session_id: first.body.id })
    // The failed create did not keep a number: two more fit in the three.
    expect((await f.http.post('/v1/sessions', { key: t.key, body: pair() })).status).toBe(200)
    expect((await f.http.post('/v1/sessions', { key: t.key, body: pair() })).status).toBe(200)
    await f.http.post('/v1/sessions/ride-42/complete', { key: t.key })
    const next = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), order_id: 'ride-42' } })
    expect(next.status).toBe(200)
    // By order id: its newest session.
    const got = await f.http.get('/v1/sessions/ride-42', { key: t.key })
    expect(got.body.id).toBe(next.body.id)
    // With the pool full, the open session's order_id is still a 409 session_exists naming it.
    const full = await tenantWith(f, numbers('+1202555', 420, 1))
    const held = await f.http.post('/v1/sessions', { key: full.key, body: { ...pair(), order_id: 'ride-43' } })
    const again = await f.http.post('/v1/sessions', { key: full.key, body: { ...pair(), order_id: 'ride-43' } })
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({ code: 'session_exists', session_id: held.body.id })
    const explicit = await f.http.post('/v1/sessions', { key: full.key, body: { ...pair(), order_id: 'ride-43', masked_e164: held.body.masked_e164 } })
    expect(explicit.body.error).toMatchObject({ code: 'session_exists', session_id: held.body.id })
    // Another order on the full pool: still no number.
    expect((await f.http.post('/v1/sessions', { key: full.key, body: { ...pair(), order_id: 'ride-44' } })).body.error.code).toBe('no_masked_number_available')
    // Another tenant may use the same order id.
    const other = await tenantWith(f, numbers('+1202555', 410, 1))
    expect((await f.http.post('/v1/sessions', { key: other.key, body: { ...pair(), order_id: 'ride-42' } })).status).toBe(200)
  })
})

describe('Idempotency-Key', () => {
  let key: string
  beforeAll(async () => {
    key = (await tenantWith(f, numbers('+1202555', 500, 5))).key
  })

  test('same key and body: the first response again, and only one session', async () => {
    const body = { ...pair(), order_id: 'idem-1' }
    const first = await f.http.post('/v1/sessions', { key, body, headers: { 'idempotency-key': 'k-1' } })
    const again = await f.http.post('/v1/sessions', { key, body: { customer_phone: body.customer_phone, order_id: 'idem-1', driver_phone: body.driver_phone }, headers: { 'idempotency-key': 'k-1' } })
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    const list = await f.http.get('/v1/sessions?order_id=idem-1', { key })
    expect(list.body.total).toBe(1)
  })

  test('same key, other body: 422 idempotency_key_reused', async () => {
    await f.http.post('/v1/sessions', { key, body: pair(), headers: { 'idempotency-key': 'k-2' } })
    const r = await f.http.post('/v1/sessions', { key, body: pair(), headers: { 'idempotency-key': 'k-2' } })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('idempotency_key_reused')
  })

  test('concurrent twins with one key: one session, both get it', async () => {
    const body = pair()
    const replies = await Promise.all(Array.from({ length: 5 }, () => f.http.post('/v1/sessions', { key, body, headers: { 'idempotency-key': 'k-3' } })))
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1)
  })

  test('a 4xx answer is replayed too; keys are per tenant; complete honours keys', async () => {
    // A 409 while the number is busy stays the answer for that key, even once the number is free.
    const blocker = await f.http.post('/v1/sessions', { key, body: { ...pair(), masked_e164: '+12025550504' } })
    const body = { ...pair(), masked_e164: '+12025550504' }
    const e1 = await f.http.post('/v1/sessions', { key, body, headers: { 'idempotency-key': 'k-4' } })
    expect(e1.status).toBe(409)
    await f.http.post(`/v1/sessions/${blocker.body.id}/complete`, { key })
    const e2 = await f.http.post('/v1/sessions', { key, body, headers: { 'idempotency-key': 'k-4' } })
    expect(e2.status).toBe(409)
    expect(e2.body.error.code).toBe('masked_number_busy')
    expect((await f.http.post('/v1/sessions', { key, body, headers: { 'idempotency-key': 'k-5' } })).status).toBe(200)
    const other = await tenantWith(f, numbers('+1202555', 520, 1))
    expect((await f.http.post('/v1/sessions', { key: other.key, body: pair(), headers: { 'idempotency-key': 'k-1' } })).status).toBe(200)

    const s = await f.http.post('/v1/sessions', { key, body: pair() })
    const c1 = await f.http.post(`/v1/sessions/${s.body.id}/complete`, { key, headers: { 'idempotency-key': 'c-1' } })
    const c2 = await f.http.post(`/v1/sessions/${s.body.id}/complete`, { key, headers: { 'idempotency-key': 'c-1' } })
    expect(c1.body.already_ended).toBeUndefined()
    expect(c2.body).toEqual(c1.body)
    const c3 = await f.http.post(`/v1/sessions/${s.body.id}/complete`, { key })
    expect(c3.body.already_ended).toBe(true)
  })
})

describe('read, complete, lists', () => {
  let key: string
  const created: any[] = []
  beforeAll(async () => {
    key = (await tenantWith(f, numbers('+1202555', 600, 8))).key
    for (let i = 0; i < 6; i++) created.push((await f.http.post('/v1/sessions', { key, body: { ...pair(), order_id: `list-${i}` } })).body)
    // two completed, one lapsed (its expiry set into the past, not swept), three open
    await f.http.post(`/v1/sessions/${created[0].id}/complete`, { key })
    await f.http.post(`/v1/sessions/${created[1].id}/complete`, { key })
    const { sql } = await import('drizzle-orm')
    await f.tp.platform.database.rows(sql`update sessions.sessions set expires_at = now() - interval '1 second' where id = ${created[2].id}`)
  })

  test('get by id and by order_id', async () => {
    expect((await f.http.get(`/v1/sessions/${created[3].id}`, { key })).body).toEqual(created[3])
    expect((await f.http.get('/v1/sessions/list-3', { key })).body.id).toBe(created[3].id)
    const none = await f.http.get('/v1/sessions/ses_01NOPE00000000000000000000', { key })
    expect(none.status).toBe(404)
    expect(none.body.error.code).toBe('session_not_found')
  })

  test('complete: status completed, number freed; again: 200 with already_ended', async () => {
    const done = await f.http.get(`/v1/sessions/${created[0].id}`, { key })
    expect(done.body).toMatchObject({ status: 'completed', end_reason: 'completed' })
    expect(done.body.ended_at).toMatch(/Z$/)
    const again = await f.http.post(`/v1/sessions/${created[0].id}/complete`, { key })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ id: created[0].id, status: 'completed', already_ended: true, ended_at: done.body.ended_at })
  })

  test('a lapsed session reads as expired, and completing it says already_ended', async () => {
    const got = await f.http.get(`/v1/sessions/${created[2].id}`, { key })
    expect(got.body).toMatchObject({ status: 'expired', end_reason: 'expired', ended_at: got.body.expires_at })
    const c = await f.http.post(`/v1/sessions/${created[2].id}/complete`, { key })
    expect(c.body).toMatchObject({ status: 'expired', already_ended: true })
  })

  test('newest first, with totals per status filter', async () => {
    const all = await f.http.get('/v1/sessions', { key })
    expect(all.body).toMatchObject({ limit: 50, offset: 0, total: 6 })
    expect(all.body.items.map((s: any) => s.id)).toEqual([...created].reverse().map((s) => s.id))
    const count = async (status: string) => (await f.http.get(`/v1/sessions?status=${status}`, { key })).body
    expect((await count('open')).total).toBe(3)
    expect((await count('open')).items.every((s: any) => s.status === 'open')).toBe(true)
    expect((await count('completed')).total).toBe(2)
    expect((await count('expired')).items.map((s: any) => s.id)).toEqual([created[2].id])
    expect((await count('all')).total).toBe(6)
    const byOrder = await f.http.get('/v1/sessions?order_id=list-4', { key })
    expect(byOrder.body.items.map((s: any) => s.id)).toEqual([created[4].id])
  })

  test('pages: limit and offset slice the same order; totals stay whole', async () => {
    const p1 = await f.http.get('/v1/sessions?limit=2&offset=0', { key })
    const p2 = await f.http.get('/v1/sessions?limit=2&offset=2', { key })
    const p4 = await f.http.get('/v1/sessions?limit=2&offset=6', { key })
    expect(p1.body.items.map((s: any) => s.id)).toEqual([created[5].id, created[4].id])
    expect(p2.body.items.map((s: any) => s.id)).toEqual([created[3].id, created[2].id])
    expect(p4.body).toMatchObject({ items: [], limit: 2, offset: 6, total: 6 })
  })

  test('bounds: limit 1..500, offset >= 0, known status only; else 422', async () => {
    for (const q of ['limit=0', 'limit=501', 'offset=-1', 'limit=abc', 'status=bogus']) {
      const r = await f.http.get(`/v1/sessions?${q}`, { key })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc[0]).toBe('query')
    }
    expect((await f.http.get('/v1/sessions?limit=500', { key })).status).toBe(200)
    expect((await f.http.get('/v1/sessions?limit=1', { key })).body.items.length).toBe(1)
  })
})

describe('number release and suspension', () => {
  test('release ends the open sessions on the number with number_released; the number is no longer allocated', async () => {
    const [n1, n2] = numbers('+1202555', 700, 2)
    const t = await tenantWith(f, [n1!, n2!])
    const s = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), masked_e164: n1 } })
    expect((await f.http.post(`/admin/v1/dids/${n1}/release`, { bearer: f.admin })).status).toBe(200)
    const ended = await eventually(
      () => f.http.get(`/v1/sessions/${s.body.id}`, { key: t.key }),
      (r) => r.body.status !== 'open',
    )
    expect(ended.body).toMatchObject({ status: 'completed', end_reason: 'number_released' })
    for (let i = 0; i < 3; i++) {
      const r = await f.http.post('/v1/sessions', { key: t.key, body: pair() })
      expect(r.body.masked_e164).toBe(n2)
      await f.http.post(`/v1/sessions/${r.body.id}/complete`, { key: t.key })
    }
    const explicit = await f.http.post('/v1/sessions', { key: t.key, body: { ...pair(), masked_e164: n1 } })
    expect(explicit.status).toBe(403)
  })

  test('suspension blocks new sessions on the number; resume lets them back', async () => {
    const [n] = numbers('+1202555', 720, 1)
    const t = await tenantWith(f, [n!])
    expect((await f.http.post(`/admin/v1/dids/${n}/suspend`, { bearer: f.admin })).status).toBe(200)
    const auto = await f.http.post('/v1/sessions', { key: t.key, body: pair() })
    expect(auto.status).toBe(409)
    expect(auto.body.error.code).toBe('no_masked_number_available')
    expect((await f.http.post(`/admin/v1/dids/${n}/resume`, { bearer: f.admin })).status).toBe(200)
    expect((await f.http.post('/v1/sessions', { key: t.key, body: pair() })).status).toBe(200)
  })
})

describe('tenant isolation', () => {
  test("another tenant's sessions and numbers do not exist for you", async () => {
    const a = await tenantWith(f, numbers('+1202555', 800, 1))
    const b = await tenantWith(f, numbers('+1202555', 810, 1))
    const s = await f.http.post('/v1/sessions', { key: a.key, body: { ...pair(), order_id: 'iso-1' } })
    expect(s.status).toBe(200)
    for (const ref of [s.body.id, 'iso-1']) {
      const get = await f.http.get(`/v1/sessions/${ref}`, { key: b.key })
      expect(get.status).toBe(404)
      expect(get.body.error.code).toBe('session_not_found')
      const complete = await f.http.post(`/v1/sessions/${ref}/complete`, { key: b.key })
      expect(complete.status).toBe(404)
    }
    expect((await f.http.get(`/v1/sessions/${s.body.id}`, { key: a.key })).body.status).toBe('open')
    const list = await f.http.get('/v1/sessions?status=all', { key: b.key })
    expect(list.body.items.map((x: any) => x.id)).not.toContain(s.body.id)
    expect((await f.http.get('/v1/sessions?order_id=iso-1', { key: b.key })).body.total).toBe(0)
    const bNumbers = (await f.http.get('/v1/did/assignments?status=all', { key: b.key })).body.items.map((x: any) => x.e164)
    expect(bNumbers).toEqual(['+12025550810'])
  })
})
