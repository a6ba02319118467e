/**
 * `sessions.route` over the bus (real NATS), as call control asks it: every outcome of the
 * decision, with the number's state coming from did through the read model.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { sessions } from '../../shared/contracts/sessions'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.tp.stop())

const route = (to: string, from: string) => f.tp.platform.bus.request(sessions.route, { to, from }, { requestId: 'test-route' })

const DRIVER = '+14155552001'
const CUSTOMER = '+14155552002'

describe('sessions.route through the bus', () => {
  let key: string
  let session: any
  const [M, SPARE, SHARED] = numbers('+1202555', 100, 3)

  beforeAll(async () => {
    const t = await tenantWith(f, [M!, SPARE!])
    key = t.key
    session = (await f.http.post('/v1/sessions', { key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M, order_id: 'route-1' } })).body
    expect(session.masked_e164).toBe(M)
  })

  test('driver → customer, with the masked number as caller id', async () => {
    expect(await route(M!, DRIVER)).toEqual({
      action: 'bridge',
      tenant_id: session.tenant_id,
      session_id: session.id,
      order_id: 'route-1',
      target: CUSTOMER,
      caller_id: M!,
      from_party: 'driver',
      to_party: 'customer',
    })
  })

  test('customer → driver', async () => {
    expect(await route(M!, CUSTOMER)).toMatchObject({ action: 'bridge', session_id: session.id, target: DRIVER, caller_id: M, from_party: 'customer', to_party: 'driver' })
  })

  test('unknown caller: 403', async () => {
    expect(await route(M!, '+14155552999')).toEqual({ action: 'refuse', reason: 'unknown_caller', sip_status: 403 })
  })

  test('a held number without an open session: 404 no_session', async () => {
    expect(await route(SPARE!, DRIVER)).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
  })

  test('a number nobody holds, or not in the pool: 404 number_not_assigned', async () => {
    expect(await route('+12025559990', DRIVER)).toEqual({ action: 'refuse', reason: 'number_not_assigned', sip_status: 404 })
    await f.http.post('/admin/v1/dids', { bearer: f.admin, body: { numbers: [SHARED] } })
    expect(await route(SHARED!, DRIVER)).toMatchObject({ reason: 'number_not_assigned' })
  })

  test('suspended number: 403 while suspended, bridged again after resume', async () => {
    expect((await f.http.post(`/admin/v1/dids/${M}/suspend`, { bearer: f.admin })).status).toBe(200)
    expect(await route(M!, DRIVER)).toEqual({ action: 'refuse', reason: 'number_suspended', sip_status: 403 })
    expect((await f.http.post(`/admin/v1/dids/${M}/resume`, { bearer: f.admin })).status).toBe(200)
    expect(await route(M!, DRIVER)).toMatchObject({ action: 'bridge', session_id: session.id })
  })

  test('expired session: refused', async () => {
    const s = (await f.http.post('/v1/sessions', { key, body: { driver_phone: '+14155552011', customer_phone: '+14155552012', masked_e164: SPARE } })).body
    expect(await route(SPARE!, '+14155552011')).toMatchObject({ action: 'bridge', session_id: s.id })
    await f.tp.platform.database.rows(sql`update sessions.sessions set expires_at = now() - interval '1 millisecond' where id = ${s.id}`)
    // expires_at never changes through the API; moved behind the service's back, the route index
    // (which keeps the one it was told) must forget the session to read the database again.
    f.sessions.index.clear()
    expect(await route(SPARE!, '+14155552011')).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
  })

  test('a completed session no longer routes', async () => {
    await f.http.post(`/v1/sessions/${session.id}/complete`, { key })
    expect(await route(M!, DRIVER)).toMatchObject({ action: 'refuse', reason: 'no_session' })
  })

  test('released number: its sessions end and calls to it are refused', async () => {
    const s = (await f.http.post('/v1/sessions', { key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M } })).body
    expect(await route(M!, CUSTOMER)).toMatchObject({ action: 'bridge', session_id: s.id })
    await f.http.post(`/admin/v1/dids/${M}/release`, { bearer: f.admin })
    expect(await route(M!, CUSTOMER)).toEqual({ action: 'refuse', reason: 'number_not_assigned', sip_status: 404 })
  })

  test('a malformed request is a validation error, not a decision', async () => {
    await expect(f.tp.platform.bus.request(sessions.route, { to: 'x'.repeat(30), from: DRIVER } as never)).rejects.toMatchObject({ code: 'validation_error', status: 422 })
  })
})

describe('sessions.route on a shared number', () => {
  test('each caller reaches the other party of their own session', async () => {
    const [N] = numbers('+1202555', 300, 1)
    const t = await tenantWith(f, [N!], { number_sharing: 'shared' })
    const one = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155553001', customer_phone: '+14155553002' } })).body
    const two = (await f.http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155553003', customer_phone: '+14155553004' } })).body
    expect(one.masked_e164).toBe(N)
    expect(two.masked_e164).toBe(N)
    expect(await route(N!, '+14155553001')).toMatchObject({ session_id: one.id, target: '+14155553002' })
    expect(await route(N!, '+14155553004')).toMatchObject({ session_id: two.id, target: '+14155553003' })
    expect(await route(N!, '+14155553009')).toMatchObject({ reason: 'unknown_caller' })
  })
})
