/**
 * `Idempotency-Key` on every POST, the operator's included: a retry with the same key and body
 * answers the first outcome and does the work once; the same key with another body is a 422.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, type Client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { didService } from '../did/service'
import { identityService } from '../identity/service'
import { gatewayApp } from './test-app'
import { gatewayService } from './service'

let p: TestPlatform
let http: Client
beforeAll(async () => {
  p = await startTestPlatform([identityService, didService, gatewayService] as never)
  http = client(p.baseUrl)
})
afterAll(() => p?.stop(), 30_000)

const admin = (path: string, body: unknown, key: string) => http.post(path, { bearer: p.adminToken, body, headers: { 'idempotency-key': key } })

test('every POST route declares Idempotency-Key', async () => {
  const gw = gatewayApp()
  const posts = gw.app.routes.filter((r) => r.method === 'POST')
  await gw.stop()
  expect(posts.length).toBeGreaterThanOrEqual(14)
  const declares = (r: (typeof posts)[number]) => Boolean((r.hooks as { headers?: { properties?: Record<string, unknown> } }).headers?.properties?.['idempotency-key'])
  expect(posts.filter((r) => !declares(r)).map((r) => r.path)).toEqual([])
})

describe('operator commands', () => {
  test('a retried tenant create makes one tenant and never replays its key', async () => {
    const body = { name: `idem-${Date.now()}` }
    const first = await admin('/admin/v1/tenants', body, 'tenant-create-1')
    expect(first.status).toBe(200)
    const again = await admin('/admin/v1/tenants', body, 'tenant-create-1')
    expect(again.status).toBe(200)
    expect(again.body.tenant.id).toBe(first.body.tenant.id)
    expect(again.body.api_key).toMatchObject({ id: first.body.api_key.id, api_key: null, api_key_shown_once: true })
    expect(again.body.webhook_secret).toBe(first.body.webhook_secret)
    const list = await http.get('/admin/v1/tenants?limit=500', { bearer: p.adminToken })
    expect(list.body.items.filter((t: { name: string }) => t.name === body.name)).toHaveLength(1)
    const other = await admin('/admin/v1/tenants', { name: 'another' }, 'tenant-create-1')
    expect([other.status, other.body.error.code]).toEqual([422, 'idempotency_key_reused'])
  })

  test('pool commands: import, assign, suspend, resume and release replay their first answer', async () => {
    const t = await admin('/admin/v1/tenants', { name: 'pool' }, 'pool-tenant')
    const n = '+12025550177'
    const imp = await admin('/admin/v1/dids', { numbers: [n] }, 'imp-1')
    expect(imp.body.imported).toHaveLength(1)
    // Replayed, not re-run: a re-run would report the number as already known.
    expect((await admin('/admin/v1/dids', { numbers: [n] }, 'imp-1')).body).toEqual(imp.body)
    const asg = await admin(`/admin/v1/dids/${n}/assign`, { tenant_id: t.body.tenant.id }, 'asg-1')
    expect(asg.status).toBe(200)
    // A re-run would be a 409 (already assigned).
    expect(await admin(`/admin/v1/dids/${n}/assign`, { tenant_id: t.body.tenant.id }, 'asg-1')).toMatchObject({ status: 200, body: asg.body })
    for (const verb of ['suspend', 'resume', 'release']) {
      const r = await admin(`/admin/v1/dids/${n}/${verb}`, undefined, `${verb}-1`)
      expect([verb, r.status]).toEqual([verb, 200])
      expect((await admin(`/admin/v1/dids/${n}/${verb}`, undefined, `${verb}-1`)).body).toEqual(r.body)
    }
    // Without a key, a second release is the domain's answer (not assigned).
    expect((await http.post(`/admin/v1/dids/${n}/release`, { bearer: p.adminToken })).status).toBe(409)
  })
})
