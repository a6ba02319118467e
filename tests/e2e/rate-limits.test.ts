/**
 * Rate limits hold per tenant, whatever the number of keys and gateways (ADR 0007): two gateway
 * processes and 30 keys of one tenant, driven well past its limit, admit about its burst plus
 * rate × time. Requests without a valid key are limited per source address, and a refused key
 * is remembered as refused for a moment instead of asking identity every time.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant, type Client } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'
import { metricValue } from '../support/metrics'
import { generateApiKey } from '../../shared/api-key'

let e2e: E2E
let gateways: Client[]

describe.skipIf(!e2eAvailable)('e2e: rate limits', () => {
  beforeAll(async () => {
    // A low per-address budget for bad keys, so the loop below outruns it however slow the machine is.
    e2e = await startE2E({ services: ['identity', 'gateway'], instances: { gateway: 2 }, env: { UNAUTH_RATE_LIMIT_PER_SECOND: '2' } })
    gateways = e2e.launched.gatewayUrls.map(client)
  }, 60_000)
  afterAll(() => e2e?.stop(), 30_000)

  test("a tenant's accepted rate stays within 20% of its limit across 30 keys and 2 gateways", async () => {
    const [a] = gateways as [Client, Client]
    const t = await createTenant(a, e2e.adminToken, { rate_limit_per_second: 1000 })
    const keys = [t.key]
    for (let i = 0; i < 29; i++) {
      const r = await a.post('/v1/api-keys', { key: t.key, body: { label: `k${i}` } })
      expect(r.status).toBe(200)
      keys.push(r.body.api_key)
    }
    const rate = 20
    expect((await a.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: e2e.adminToken, body: { rate_limit_per_second: rate } })).status).toBe(200)
    // Every key verified (cached) at both gateways, and the tenant's buckets rebuilt at the new limit.
    await Bun.sleep(300)
    for (const g of gateways) for (const k of keys) await g.get('/v1/health-of-nothing', { key: k })

    // Wait for the buckets to be full again, then drive far past the limit for a few seconds.
    await Bun.sleep(2500)
    const started = performance.now()
    const load = runLoad({
      workers: 12,
      request: async (i) => (await gateways[i % 2]!.get('/v1/api-keys?limit=1', { key: keys[(i * 7) % keys.length] })).status,
    })
    await Bun.sleep(4000)
    const result = await load.stop()
    const seconds = (performance.now() - started) / 1000
    const accepted = result.statuses.get(200) ?? 0
    const refused = result.statuses.get(429) ?? 0
    const allowance = 2 * rate + rate * seconds // burst + rate × time
    expect([...result.statuses.keys()].filter((s) => s !== 200 && s !== 429)).toEqual([])
    // The load was well past the limit (else this shows nothing) ...
    expect(accepted + refused).toBeGreaterThan(2 * allowance)
    // ... and the tenant got about its allowance: not 2 gateways × 30 keys of it.
    console.log(`rate limits: ${accepted} accepted of ${accepted + refused} in ${seconds.toFixed(2)} s; allowance ${allowance.toFixed(0)}; ratio ${(accepted / allowance).toFixed(3)}`)
    expect(accepted / allowance).toBeGreaterThan(0.8)
    expect(accepted / allowance).toBeLessThan(1.2)
  }, 60_000)

  test('requests with bad keys are limited per source address; a refused key is not asked about again at once', async () => {
    const g = gateways[0]!
    const identityOps = client(e2e.launched.byName('identity')[0]!.opsUrl)
    const verified = async () => metricValue((await identityOps.get('/metrics')).text, 'bus_handler_duration_seconds_count', { subject: 'identity.key.verify' })
    // A tenant's key verified before its address runs out of budget.
    const t = await createTenant(g, e2e.adminToken)
    expect((await g.get('/v1/api-keys', { key: t.key })).status).toBe(200)

    const before = await verified()
    const unknown = generateApiKey()
    const statuses: number[] = []
    for (let i = 0; i < 80; i++) statuses.push((await g.get('/v1/api-keys', { key: unknown })).status)
    // The address's burst (4 at 2/s) of refusals, then 429s.
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401])
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(40)
    const last = await g.get('/v1/api-keys', { key: unknown })
    expect(last.status).toBe(429)
    expect(last.body.error.code).toBe('rate_limited')
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    // The same unknown key cost identity a lookup per negative-cache period (2 s), not one per request.
    expect((await verified()) - before).toBeGreaterThanOrEqual(1)
    expect((await verified()) - before).toBeLessThan(10)
    // The verified key from the same address still gets in.
    expect((await g.get('/v1/api-keys', { key: t.key })).status).toBe(200)
  })
})
