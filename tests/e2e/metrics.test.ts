/** `/metrics` values move as load runs: asserted on the gateway's and identity's own endpoints. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { metricValue } from '../support/metrics'

describe.skipIf(!e2eAvailable)('e2e: metrics', () => {
  let e2e: E2E
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'gateway'] })
  })
  afterAll(() => e2e?.stop())

  test('request, bus, key-verification and rate-limit counters move with traffic', async () => {
    const gw = e2e.launched.byName('gateway')[0]!
    const identity = e2e.launched.byName('identity')[0]!
    const http = client(gw.url)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 5 })
    const scrape = async () => ({ gw: (await client(gw.url).get('/metrics')).text, id: (await client(identity.url).get('/metrics')).text })
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
})
