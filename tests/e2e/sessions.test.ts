/**
 * Sessions in the production shape: identity, did, two sessions instances and the gateway as
 * separate processes on real NATS and PostgreSQL, driven over HTTP like an operator and a tenant
 * would, and `sessions.route` asked over NATS like call control does.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connectBus, type Bus } from '../../shared/bus/connect'
import { sessions, type Session } from '../../shared/contracts/sessions'
import { client, createTenant, type Client } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'

let e2e: E2E
let http: Client
let bus: Bus
const events: { kind: string; s: Session }[] = []

const phone = (i: number) => `+1415555${String(i).padStart(4, '0')}`
const pool = (start: number, n: number) => Array.from({ length: n }, (_, i) => `+1202555${String(start + i).padStart(4, '0')}`)

describe.skipIf(!e2eAvailable)('e2e: DIDs and sessions', () => {
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'did', 'sessions', 'gateway'], instances: { sessions: 2 }, env: { SESSION_SWEEP_INTERVAL_MS: '200' } })
    http = client(e2e.launched.gatewayUrls[0]!)
    bus = await connectBus({ natsUrl: e2e.env.NATS_URL, prefix: e2e.env.BUS_PREFIX!, service: 'e2e' })
    bus.subscribe(sessions.created, (s) => void events.push({ kind: 'created', s }))
    bus.subscribe(sessions.completed, (s) => void events.push({ kind: 'completed', s }))
  }, 60_000)
  afterAll(async () => {
    await bus?.drain()
    await e2e?.stop()
  }, 30_000)

  test('walk-through: import and assign numbers, create, look up, route, complete', async () => {
    const admin = e2e.adminToken
    const t = await createTenant(http, admin, { name: 'Acme Rides', rate_limit_per_second: 1000 })
    const numbers = pool(100, 2)
    const imported = await http.post('/admin/v1/dids', { bearer: admin, body: { numbers } })
    expect(imported.body.imported).toHaveLength(2)
    for (const n of numbers) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: admin, body: { tenant_id: t.tenantId } })).status).toBe(200)
    expect((await http.get('/v1/did/assignments', { key: t.key })).body.total).toBe(2)

    const created = await http.post('/v1/sessions', { key: t.key, body: { order_id: 'trip-1', driver_phone: phone(1), customer_phone: phone(2), ttl_minutes: 30 } })
    expect(created.status).toBe(200)
    const s = created.body as Session
    expect(numbers).toContain(s.masked_e164)
    expect((await http.get('/v1/sessions/trip-1', { key: t.key })).body.id).toBe(s.id)
    expect((await http.get(`/v1/sessions/${s.id}`, { key: t.key })).body.status).toBe('open')

    expect(await bus.request(sessions.route, { to: s.masked_e164, from: phone(2) })).toMatchObject({ action: 'bridge', session_id: s.id, target: phone(1), caller_id: s.masked_e164 })
    expect(await bus.request(sessions.route, { to: s.masked_e164, from: phone(9) })).toMatchObject({ action: 'refuse', reason: 'unknown_caller', sip_status: 403 })

    const done = await http.post(`/v1/sessions/${s.id}/complete`, { key: t.key })
    expect(done.body).toMatchObject({ status: 'completed', end_reason: 'completed' })
    expect(await bus.request(sessions.route, { to: s.masked_e164, from: phone(2) })).toMatchObject({ action: 'refuse', reason: 'no_session' })
    const deadline = Date.now() + 2000
    while (Date.now() < deadline && !events.some((e) => e.kind === 'completed' && e.s.id === s.id)) await Bun.sleep(20)
    expect(events.filter((e) => e.s.id === s.id).map((e) => e.kind)).toEqual(['created', 'completed'])
  })

  test('two sessions processes, 120 concurrent creates on 30 numbers: exactly 30 succeed, on 30 distinct numbers', async () => {
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 10000 })
    const numbers = pool(1000, 30)
    await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers } })
    for (const n of numbers) await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })
    const replies = await Promise.all(Array.from({ length: 120 }, (_, i) => http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(2000 + 2 * i), customer_phone: phone(2001 + 2 * i) } })))
    const outcomes: Record<string, number> = {}
    for (const r of replies) outcomes[r.status === 200 ? '200' : `${r.status} ${r.body?.error?.code}`] = (outcomes[r.status === 200 ? '200' : `${r.status} ${r.body?.error?.code}`] ?? 0) + 1
    expect(outcomes).toEqual({ '200': 30, '409 no_masked_number_available': 90 })
    const ok = replies.filter((r) => r.status === 200)
    expect(new Set(ok.map((r) => r.body.masked_e164)).size).toBe(30)
  })

  test('release: the number is refused at once and its sessions end with number_released', async () => {
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 1000 })
    const [n] = pool(500, 1)
    await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers: [n] } })
    await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })
    const s = (await http.post('/v1/sessions', { key: t.key, body: { driver_phone: phone(3001), customer_phone: phone(3002) } })).body
    expect(await bus.request(sessions.route, { to: n!, from: phone(3001) })).toMatchObject({ action: 'bridge' })
    expect((await http.post(`/admin/v1/dids/${n}/release`, { bearer: e2e.adminToken })).status).toBe(200)
    expect(await bus.request(sessions.route, { to: n!, from: phone(3001) })).toMatchObject({ action: 'refuse', reason: 'number_not_assigned' })
    const deadline = Date.now() + 3000
    let got = await http.get(`/v1/sessions/${s.id}`, { key: t.key })
    while (got.body.status === 'open' && Date.now() < deadline) {
      await Bun.sleep(25)
      got = await http.get(`/v1/sessions/${s.id}`, { key: t.key })
    }
    expect(got.body).toMatchObject({ status: 'completed', end_reason: 'number_released' })
  })
})
