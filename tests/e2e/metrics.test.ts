/** `/metrics` values move as load runs: asserted on the gateway's, identity's and sessions' own endpoints. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { metricValue } from '../support/metrics'

describe.skipIf(!e2eAvailable)('e2e: metrics', () => {
  let e2e: E2E
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'did', 'sessions', 'gateway'] })
  }, 60_000)
  afterAll(() => e2e?.stop(), 30_000)

  test('request, bus, key-verification and rate-limit counters move with traffic', async () => {
    const gw = e2e.launched.byName('gateway')[0]!
    const identity = e2e.launched.byName('identity')[0]!
    const http = client(gw.url)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 5 })
    const scrape = async () => ({ gw: (await client(gw.opsUrl).get('/metrics')).text, id: (await client(identity.url).get('/metrics')).text })
    const before = await scrape()
    let limited = 0
    for (let i = 0; i < 30; i++) if ((await http.get('/v1/api-keys', { key: t.key })).status === 429) limited++
    await http.get('/v1/api-keys', { key: 'msk_live_bad' })
    const after = await scrape()

    const route = { service: 'gateway', method: 'GET', route: '/v1/api-keys' }
    const okBefore = metricValue(before.gw, 'http_request_duration_seconds_count', { ...route, status: '200' })
    const okAfter = metricValue(after.gw, 'http_request_duration_seconds_count', { ...route, status: '200' })
    expect(okAfter - okBefore).toBe(30 - limited)
    expect(metricValue(after.gw, 'http_request_duration_seconds_count', { ...route, status: '429' }) - metricValue(before.gw, 'http_request_duration_seconds_count', { ...route, status: '429' })).toBe(limited)
    expect(metricValue(after.gw, 'rate_limited_requests_total') - metricValue(before.gw, 'rate_limited_requests_total')).toBe(limited)
    expect(metricValue(after.gw, 'api_key_verifications_total', { result: 'cache_hit' })).toBeGreaterThan(metricValue(before.gw, 'api_key_verifications_total', { result: 'cache_hit' }))
    expect(metricValue(after.gw, 'api_key_verifications_total', { result: 'malformed' }) - metricValue(before.gw, 'api_key_verifications_total', { result: 'malformed' })).toBe(1)
    // identity handled the list requests that got through
    const handled = (text: string) => metricValue(text, 'bus_handler_duration_seconds_count', { service: 'identity', subject: 'identity.key.list', outcome: 'ok' })
    expect(handled(after.id) - handled(before.id)).toBe(30 - limited)
    expect(limited).toBeGreaterThan(0)
  })

  test('sessions_open follows creates and a completion; created and ended counters move with them', async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    const sessionsUrl = e2e.launched.byName('sessions')[0]!.url
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 1000 })
    const N = 4
    const held = Array.from({ length: N }, (_, i) => `+120255577${String(i).padStart(2, '0')}`)
    expect((await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers: held } })).status).toBe(200)
    for (const n of held) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const scrape = async () => {
      const r = await client(sessionsUrl).get('/metrics')
      expect(r.status).toBe(200)
      return {
        open: metricValue(r.text, 'sessions_open'),
        created: metricValue(r.text, 'sessions_created_total'),
        completed: metricValue(r.text, 'sessions_ended_total', { reason: 'completed' }),
      }
    }
    const before = await scrape()
    const ids: string[] = []
    for (let i = 0; i < N; i++) {
      const r = await http.post('/v1/sessions', { key: t.key, body: { order_id: `metrics-${i}`, driver_phone: `+141555566${i}0`, customer_phone: `+141555566${i}1` } })
      expect(r.status).toBe(200)
      ids.push(r.body.id)
    }
    const opened = await scrape()
    expect(opened.open - before.open).toBe(N)
    expect(opened.created - before.created).toBe(N)
    expect(opened.completed).toBe(before.completed)

    expect((await http.post(`/v1/sessions/${ids[0]}/complete`, { key: t.key })).status).toBe(200)
    const after = await scrape()
    expect(after.open - before.open).toBe(N - 1)
    expect(after.completed - before.completed).toBe(1)
    expect(after.created - before.created).toBe(N)
  })
})
