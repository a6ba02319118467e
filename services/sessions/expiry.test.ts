/**
 * Expiry is exact at `expires_at` for every purpose, before any sweep; the sweeper then marks the
 * row and publishes `sessions.session.expired` (heard here on the bus, real NATS).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { sessions, type Session } from '../../shared/contracts/sessions'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
const expiredEvents: Session[] = []
beforeAll(async () => {
  // A quick sweeper, so its own schedule is seen to run; tests pause it where they need the gap.
  // These tests move `expires_at` in the database behind the service's back (it never changes
  // through the API), so the route index, which keeps the one it was told, is off here; its own
  // exact-expiry rule is tested in route-index.test.ts and peers.test.ts.
  f = await startFixture({ SESSION_SWEEP_INTERVAL_MS: '100', ROUTE_INDEX_TTL_MS: '0' })
  f.tp.platform.bus.subscribe(sessions.expired, (s) => void expiredEvents.push(s))
})
afterAll(() => f?.tp.stop())

const route = (to: string, from: string) => f.tp.platform.bus.request(sessions.route, { to, from })

/** Moves a session's expiry (and its party rows') to `ms` from the database's now. */
async function expireIn(id: string, ms: number): Promise<Date> {
  const [r] = await f.tp.platform.database.rows<{ at: Date | string }>(
    sql`update sessions.sessions set expires_at = now() + make_interval(secs => ${ms / 1000}) where id = ${id} returning expires_at as at`,
  )
  await f.tp.platform.database.rows(sql`update sessions.session_parties set expires_at = now() + make_interval(secs => ${ms / 1000}) where session_id = ${id}`)
  return new Date(r!.at)
}

const rowStatus = async (id: string) =>
  (await f.tp.platform.database.rows<{ status: string; ended_at: Date | string | null; expires_at: Date | string }>(sql`select status, ended_at, expires_at from sessions.sessions where id = ${id}`))[0]!

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await Bun.sleep(20)
}

describe('expiry', () => {
  test('route refuses the moment a session expires, before the sweeper; the sweeper then marks it and announces it', async () => {
    const [M] = numbers('+1202555', 100, 1)
    const t = await tenantWith(f, [M!])
    const s = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155554001', customer_phone: '+14155554002' } })).body
    f.sessions.sweeper.pause()
    try {
      const at = await expireIn(s.id, 400)
      expect(await route(M!, '+14155554001')).toMatchObject({ action: 'bridge', session_id: s.id })
      await Bun.sleep(Math.max(0, at.getTime() - Date.now()) + 5)
      expect(await route(M!, '+14155554001')).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
      // Not swept yet: the table still says open, yet every read already says expired.
      expect((await rowStatus(s.id)).status).toBe('open')
      const got = await f.http.get(`/v1/sessions/${s.id}`, { key: t.key })
      expect(got.body).toMatchObject({ status: 'expired', end_reason: 'expired', ended_at: at.toISOString() })
      expect((await f.http.get('/v1/sessions?status=open', { key: t.key })).body.total).toBe(0)
      expect((await f.http.get('/v1/sessions?status=expired', { key: t.key })).body.total).toBe(1)
    } finally {
      f.sessions.sweeper.resume()
    }
    // The sweeper on its own schedule: the row is marked, ended exactly at expires_at, and the event goes out.
    await waitFor(() => expiredEvents.some((e) => e.id === s.id))
    const event = expiredEvents.find((e) => e.id === s.id)
    expect(event).toMatchObject({ id: s.id, status: 'expired', end_reason: 'expired', masked_e164: M })
    const row = await rowStatus(s.id)
    expect(row.status).toBe('expired')
    expect(new Date(row.ended_at!).getTime()).toBe(new Date(row.expires_at).getTime())
  })

  test('allocation treats a lapsed session as free at once, and the session it displaces is announced as expired', async () => {
    const [M] = numbers('+1202555', 200, 1)
    const t = await tenantWith(f, [M!])
    const old = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155554011', customer_phone: '+14155554012', order_id: 'lapse-1' } })).body
    f.sessions.sweeper.pause()
    try {
      await expireIn(old.id, -1)
      expect((await rowStatus(old.id)).status).toBe('open')
      const next = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155554013', customer_phone: '+14155554014', order_id: 'lapse-1' } })
      expect(next.status).toBe(200)
      expect(next.body.masked_e164).toBe(M)
      expect((await rowStatus(old.id)).status).toBe('expired')
      await waitFor(() => expiredEvents.some((e) => e.id === old.id))
      expect(expiredEvents.some((e) => e.id === old.id)).toBe(true)
    } finally {
      f.sessions.sweeper.resume()
    }
  })

  test('an explicit masked_e164 whose session lapsed is free, not busy', async () => {
    const [M] = numbers('+1202555', 300, 1)
    const t = await tenantWith(f, [M!])
    const old = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155554021', customer_phone: '+14155554022', masked_e164: M } })).body
    f.sessions.sweeper.pause()
    try {
      await expireIn(old.id, -1)
      const next = await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155554021', customer_phone: '+14155554022', masked_e164: M } })
      expect(next.status).toBe(200)
    } finally {
      f.sessions.sweeper.resume()
    }
  })

  test('sweepNow marks every lapsed session in one pass and publishes one event each', async () => {
    const pool = numbers('+1202555', 400, 5)
    const t = await tenantWith(f, pool)
    f.sessions.sweeper.pause()
    const ids: string[] = []
    try {
      for (let i = 0; i < 5; i++) ids.push((await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: `+141555541${i}0`, customer_phone: `+141555541${i}1` } })).body.id)
      for (const id of ids) await expireIn(id, -1)
      expect(await f.sessions.sweeper.sweepNow()).toBe(5)
    } finally {
      f.sessions.sweeper.resume()
    }
    await waitFor(() => ids.every((id) => expiredEvents.some((e) => e.id === id)))
    for (const id of ids) expect(expiredEvents.filter((e) => e.id === id).length).toBe(1)
    for (const id of ids) expect((await rowStatus(id)).status).toBe('expired')
  })
})
