/** `/ready` and `/metrics` are served on OPS_PORT only, never on the public port. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { identityService } from '../identity/service'
import { gatewayService } from './service'

let p: TestPlatform
beforeAll(async () => {
  p = await startTestPlatform([identityService, gatewayService])
})
afterAll(() => p?.stop(), 30_000)

test('the public port has no /ready or /metrics; the ops port has both', async () => {
  const pub = client(p.baseUrl)
  const ops = client(`http://127.0.0.1:${p.platform.opsPort}`)
  expect(p.platform.opsPort).toBeGreaterThan(0)
  expect(p.platform.opsPort).not.toBe(p.platform.port)
  for (const path of ['/ready', '/metrics']) {
    const r = await pub.get(path)
    expect([path, r.status, r.body.error?.code]).toEqual([path, 404, 'route_not_found'])
  }
  expect((await ops.get('/ready')).body).toMatchObject({ status: 'ready', service: 'gateway' })
  const metrics = await ops.get('/metrics')
  expect(metrics.status).toBe(200)
  expect(metrics.text).toContain('http_request_duration_seconds')
  // The public API is still where it was.
  expect((await pub.get('/health')).status).toBeLessThan(600)
})
