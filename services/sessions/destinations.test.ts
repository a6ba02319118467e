/**
 * The destination policy through the API and the bus (gateway, identity, did, sessions on real
 * NATS + PostgreSQL): costly numbers, countries the tenant may not reach and the platform's own
 * numbers are refused at create with 422 `destination_not_allowed` naming the party; operators
 * set `allowed_countries`; the routing decision and `sessions.destination.check` apply it again.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sessions } from '../../shared/contracts/sessions'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
beforeAll(async () => {
  f = await startFixture({ TENANT_CACHE_TTL_MS: '0' })
})
afterAll(() => f?.tp.stop())

const [M, M2, OTHER_TENANTS, FREE] = numbers('+1202555', 700, 4)
const DRIVER = '+14155557001'
const CUSTOMER = '+14155557002'

describe('destination policy', () => {
  let t: Awaited<ReturnType<typeof tenantWith>>
  const create = (body: Record<string, unknown>) => f.http.post('/v1/sessions', { key: t.key, body })

  beforeAll(async () => {
    t = await tenantWith(f, [M!, M2!])
    await tenantWith(f, [OTHER_TENANTS!])
    expect((await f.http.post('/admin/v1/dids', { bearer: f.admin, body: { numbers: [FREE] } })).status).toBe(200) // in the pool, unassigned
  })

  test('a premium-rate, satellite or personal number is refused at create, naming the party; nothing is allocated', async () => {
    for (const [body, party, reason] of [
      [{ driver_phone: DRIVER, customer_phone: '+19005551234' }, 'customer_phone', 'premium_rate'],
      [{ driver_phone: '+881612345678', customer_phone: CUSTOMER }, 'driver_phone', 'non_geographic'],
      [{ driver_phone: DRIVER, customer_phone: '+15005550006' }, 'customer_phone', 'personal_number'],
    ] as const) {
      const r = await create(body)
      expect(r.status).toBe(422)
      expect(r.body.error).toMatchObject({ code: 'destination_not_allowed', party, reason })
      expect(r.body.error.message).toStartWith(`${party}: `)
    }
    expect((await f.http.get('/v1/sessions?status=open', { key: t.key })).body.total).toBe(0)
  })

  test("a party may not be one of the platform's numbers (this tenant's, another's, or unassigned)", async () => {
    for (const n of [M2, OTHER_TENANTS, FREE]) {
      const r = await create({ driver_phone: DRIVER, customer_phone: n })
      expect([r.status, r.body.error.code, r.body.error.reason]).toEqual([422, 'destination_not_allowed', 'platform_number'])
    }
  })

  test('by default the tenant reaches the countries of its numbers; an operator widens or narrows that', async () => {
    const fr = await create({ driver_phone: DRIVER, customer_phone: '+33612345678' })
    expect([fr.status, fr.body.error.reason, fr.body.error.party]).toEqual([422, 'country_not_allowed', 'customer_phone'])

    const bad = await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: ['US', 'XX'] } })
    expect(bad.status).toBe(422)
    expect(bad.body.detail[0].loc).toEqual(['body', 'allowed_countries', 1])
    const widened = await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: ['US', 'FR'] } })
    expect(widened.status).toBe(200)
    expect(widened.body.allowed_countries).toEqual(['FR', 'US'])
    const ok = await create({ driver_phone: DRIVER, customer_phone: '+33612345678' })
    expect(ok.status).toBe(200)
    expect((await f.http.post(`/v1/sessions/${ok.body.id}/complete`, { key: t.key })).status).toBe(200)

    expect((await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: ['FR'] } })).status).toBe(200)
    const us = await create({ driver_phone: DRIVER, customer_phone: CUSTOMER })
    expect([us.status, us.body.error.party, us.body.error.reason]).toEqual([422, 'driver_phone', 'country_not_allowed'])
    const back = await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: null } })
    expect(back.body.allowed_countries).toBeNull()
  })

  test('POST /admin/v1/tenants takes allowed_countries too', async () => {
    const r = await f.http.post('/admin/v1/tenants', { bearer: f.admin, body: { name: 'Fr only', allowed_countries: ['FR'] } })
    expect(r.status).toBe(200)
    expect(r.body.tenant.allowed_countries).toEqual(['FR'])
    const got = await f.http.get(`/admin/v1/tenants/${r.body.tenant.id}`, { bearer: f.admin })
    expect(got.body.allowed_countries).toEqual(['FR'])
  })

  test('the routing decision checks the party again: narrowed countries stop calls on an open session', async () => {
    const s = await create({ driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: M })
    expect(s.status).toBe(200)
    const route = () => f.tp.platform.bus.request(sessions.route, { to: M!, from: DRIVER }, { requestId: 'dest-route' })
    expect((await route()).action).toBe('bridge')
    expect((await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: ['FR'] } })).status).toBe(200)
    expect(await route()).toEqual({ action: 'refuse', reason: 'destination_not_allowed', sip_status: 403 })
    const check = await f.tp.platform.bus.request(sessions.checkDestinations, { numbers: [DRIVER, '+33612345678', '+19005551234'] }, { requestId: 'dest-check', tenantId: t.tenantId })
    expect(check.refused).toEqual([
      { e164: DRIVER, reason: 'country_not_allowed' },
      { e164: '+19005551234', reason: 'premium_rate' },
    ])
    expect((await f.http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: f.admin, body: { allowed_countries: null } })).status).toBe(200)
    expect((await route()).action).toBe('bridge')
  })
})
