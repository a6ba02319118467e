/**
 * sessions' metrics on real NATS and PostgreSQL: `sessions_open` counts the open, live sessions in
 * the database at scrape time; `sessions_created_total` and `sessions_ended_total{reason}` count
 * every create and every end (completed, expired, number_released). With the database down a
 * scrape still succeeds and keeps the last figure.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { registry } from '../../shared/metrics'
import { newId } from '../../shared/ids'
import type { ServiceDefinition } from '../../shared/service'
import { metricValue } from '../../tests/support/metrics'
import { PrivatePostgres } from '../../tests/support/pg-server'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'
import { sessionsService } from './service'
import { eventually } from '../../tests/support/eventually'

const scrape = async () => {
  const text = await registry.metrics()
  return {
    open: metricValue(text, 'sessions_open'),
    created: metricValue(text, 'sessions_created_total'),
    ended: (reason: string) => metricValue(text, 'sessions_ended_total', { reason }),
  }
}

describe('sessions metrics', () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture()
  })
  afterAll(() => f?.tp.stop())

  test('open gauge, created and ended-by-reason counters follow creates, completion, expiry and release', async () => {
    const held = numbers('+1202555', 300, 4)
    const t = await tenantWith(f, held)
    const create = async (i: number, headers?: Record<string, string>) => {
      const r = await f.http.post('/v1/sessions', { key: t.key, headers, body: { driver_phone: `+141555570${i}0`, customer_phone: `+141555570${i}1` } })
      expect(r.status).toBe(200)
      return r.body as { id: string; masked_e164: string }
    }
    const before = await scrape()
    expect(before.open).toBe(0) // a fresh database

    const s1 = await create(1)
    const s2 = await create(2)
    const s3 = await create(3, { 'idempotency-key': 'metrics-once' })
    expect((await create(3, { 'idempotency-key': 'metrics-once' })).id).toBe(s3.id) // a replay: not a new session
    let now = await scrape()
    expect(now.open).toBe(3)
    expect(now.created - before.created).toBe(3)

    // completed
    expect((await f.http.post(`/v1/sessions/${s1.id}/complete`, { key: t.key })).status).toBe(200)
    now = await scrape()
    expect(now.open).toBe(2)
    expect(now.ended('completed') - before.ended('completed')).toBe(1)

    // expired: out of the gauge the moment it lapses; counted when the sweeper marks it
    f.sessions.sweeper.pause()
    try {
      await f.tp.platform.database.rows(sql`update sessions.sessions set expires_at = now() - interval '1 second' where id = ${s2.id}`)
      await f.tp.platform.database.rows(sql`update sessions.session_parties set expires_at = now() - interval '1 second' where session_id = ${s2.id}`)
      now = await scrape()
      expect(now.open).toBe(1)
      expect(now.ended('expired')).toBe(before.ended('expired'))
      expect(await f.sessions.sweeper.sweepNow()).toBe(1)
    } finally {
      f.sessions.sweeper.resume()
    }
    now = await scrape()
    expect(now.ended('expired') - before.ended('expired')).toBe(1)

    // number_released: the release event ends the session on that number
    expect((await f.http.post(`/admin/v1/dids/${s3.masked_e164}/release`, { bearer: f.admin })).status).toBe(200)
    now = await eventually(scrape, (m) => m.ended('number_released') > before.ended('number_released'))
    expect(now.ended('number_released') - before.ended('number_released')).toBe(1)
    expect(now.open).toBe(0)
    // Nothing counted twice.
    expect(now.ended('completed') - before.ended('completed')).toBe(1)
    expect(now.ended('expired') - before.ended('expired')).toBe(1)
    expect(now.created - before.created).toBe(3)
  })
})

describe.skipIf(!PrivatePostgres.available())('sessions metrics with the database down', () => {
  let pg: PrivatePostgres
  let tp: TestPlatform
  beforeAll(async () => {
    pg = await PrivatePostgres.start()
    tp = await startTestPlatform([sessionsService as unknown as ServiceDefinition], { DATABASE_URL: pg.url })
  })
  afterAll(async () => {
    await tp?.stop()
    await pg?.destroy()
  })

  const insertOpen = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const now = new Date()
      await tp.platform.database.rows(sql`
        insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at)
        values (${newId('ses', now.getTime())}, 'ten_metrics', null, '+14155550001', '+14155550002', ${`+120255590${i}0`}, false, 'open', 60,
                ${now.toISOString()}::timestamptz, ${new Date(now.getTime() + 3_600_000).toISOString()}::timestamptz)`)
    }
  }

  test('a scrape with the database down succeeds and keeps the last value; the gauge follows again once it is back', async () => {
    await insertOpen(2)
    expect((await scrape()).open).toBe(2)

    await pg.stop('fast')
    const text = await registry.metrics() // must not reject
    expect(metricValue(text, 'sessions_open')).toBe(2)
    expect(text).toContain('sessions_created_total')

    await pg.start()
    await eventually(
      () => tp.platform.database.ping().then(() => true, () => false),
      (ok) => ok,
      10_000,
    )
    await insertOpen(1)
    expect((await eventually(scrape, (m) => m.open === 3)).open).toBe(3)
  })
})
