/**
 * Two sessions instances on one database and bus: what one creates or ends reaches the other's
 * route index through the events, so the other routes from memory, and never routes an ended
 * session. Real NATS + PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startPlatform, type Platform } from '../../shared/platform'
import type { ServiceDefinition } from '../../shared/service'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'
import { eventually } from '../../tests/support/eventually'
import { sessionsService, type SessionsRunning } from './service'

let f: Fixture
let other: Platform
let b: SessionsRunning

beforeAll(async () => {
  f = await startFixture()
  other = await startPlatform([sessionsService as unknown as ServiceDefinition], f.tp.env)
  b = other.running.get('sessions') as SessionsRunning
})
afterAll(async () => {
  await other?.stop()
  await f?.tp.stop()
})

const DRIVER = '+14155553001'
const CUSTOMER = '+14155553002'

describe('route index across sessions instances', () => {
  test("another instance's create is routed from memory; its complete stops the routing", async () => {
    const [M] = numbers('+1202556', 300, 1)
    const t = await tenantWith(f, [M!])
    // Created by the fixture's instance (the HTTP request may land on either: both serve sessions.create).
    const s = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M } })).body
    expect(s.masked_e164).toBe(M)
    const now = () => new Date()
    expect(await eventually(() => b.index.get(M!, DRIVER, now())?.id, (id) => id === s.id)).toBe(s.id) // the created event arrived

    const hits = b.index.hits
    const decision = await b.lifecycle.route({ to: M!, from: DRIVER }, { requestId: 'peers-1' })
    expect(decision).toMatchObject({ action: 'bridge', session_id: s.id, target: CUSTOMER, from_party: 'driver' })
    expect(b.index.hits).toBe(hits + 1) // answered from memory, no database read

    expect((await f.http.post(`/v1/sessions/${s.id}/complete`, { key: t.key })).status).toBe(200)
    const after = await eventually(() => b.lifecycle.route({ to: M!, from: DRIVER }, { requestId: 'peers-2' }), (d) => d.action === 'refuse')
    expect(after).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 }) // the completed event arrived
    expect(await b.lifecycle.route({ to: M!, from: CUSTOMER }, { requestId: 'peers-3' })).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
  })

  test('a session the index never saw is read from the database once, then from memory', async () => {
    const [M] = numbers('+1202556', 310, 1)
    const t = await tenantWith(f, [M!])
    const s = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M } })).body
    expect(await eventually(() => b.index.get(M!, CUSTOMER, new Date())?.id, (id) => id === s.id)).toBe(s.id)
    b.index.clear() // as after a reconnect

    const misses = b.index.misses
    expect(await b.lifecycle.route({ to: M!, from: CUSTOMER }, { requestId: 'peers-4' })).toMatchObject({ action: 'bridge', session_id: s.id, target: DRIVER })
    expect(b.index.misses).toBe(misses + 1)
    const hits = b.index.hits
    expect(await b.lifecycle.route({ to: M!, from: CUSTOMER }, { requestId: 'peers-5' })).toMatchObject({ action: 'bridge', session_id: s.id })
    expect(b.index.hits).toBe(hits + 1)
  })

  test('a session that expires stops routing at its expires_at, from memory too', async () => {
    const [M] = numbers('+1202556', 320, 1)
    const t = await tenantWith(f, [M!])
    const s = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M, ttl_minutes: 1 } })).body
    expect(await eventually(() => b.index.get(M!, DRIVER, new Date())?.id, (id) => id === s.id)).toBe(s.id)
    const at = new Date(new Date(s.expires_at).getTime())
    expect(b.index.get(M!, DRIVER, new Date(at.getTime() - 1))?.id).toBe(s.id)
    expect(b.index.get(M!, DRIVER, at)).toBeUndefined()
  })
})
