/**
 * The TypeScript SDK against the services as separate processes on real NATS and PostgreSQL: the
 * README walk-through (clients/typescript/examples/walk-through.ts) runs as a tenant would, and
 * the SDK's retries, pagination and typed errors meet the real gateway.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { walkThrough } from '../../clients/typescript/examples/walk-through'
import { createMaskingClient, MaskingApiError } from '../../clients/typescript/src'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'

let e2e: E2E
let baseUrl: string

describe.skipIf(!e2eAvailable)('e2e: TypeScript SDK', () => {
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'did', 'sessions', 'call-control', 'gateway'], env: { CALLBACK_ALLOW_PRIVATE: 'true' } })
    baseUrl = e2e.launched.gatewayUrls[0]!
  }, 120_000)
  afterAll(() => e2e?.stop())

  test('the README walk-through runs as an SDK example', async () => {
    const lines: string[] = []
    const r = await walkThrough({ baseUrl, adminToken: e2e.adminToken, stateCallback: 'http://127.0.0.1:9/call-events', log: (l) => lines.push(l) })
    expect(r.tenantId).toStartWith('ten_')
    expect(r.sessionId).toStartWith('ses_')
    expect(['+12025550100', '+12025550101']).toContain(r.maskedNumber)
    expect(r.oldKeyStatus).toBe(401)
    expect(r.openSessions).toBe(1)
    // No SIP engine in this run (no DRACHTIO_HOST): originate says so.
    expect(r.originate).toBe('sip_unavailable')
    expect(r.completedStatus).toBe('completed')
    expect(lines.some((l) => l.startsWith('audit: key.rotated'))).toBe(true)
    // The walk-through never prints a key's plaintext, only prefixes.
    expect(lines.join('\n')).not.toMatch(/msk_live_[0-9A-Za-z]{38}/)
  }, 60_000)

  test('429s from the rate limiter are retried after Retry-After; every request ends in 200', async () => {
    const operator = createMaskingClient({ baseUrl, adminToken: e2e.adminToken })
    const t = await operator.post('/admin/v1/tenants', { body: { name: 'Slow Co', rate_limit_per_second: 1 } })
    const statuses: number[] = []
    const tenant = createMaskingClient({
      baseUrl,
      apiKey: t.api_key.api_key ?? '',
      retries: 10,
      fetch: async (r) => {
        const res = await fetch(r)
        statuses.push(res.status)
        return res
      },
    })
    // Burst 2 at 1/s: of 4 requests at once, some are refused and come back after waiting.
    const pages = await Promise.all(Array.from({ length: 4 }, () => tenant.get('/v1/api-keys')))
    expect(pages.every((p) => p.items.length === 1)).toBe(true)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    expect(statuses.filter((s) => s === 200)).toHaveLength(4)
  }, 60_000)

  test('a retried POST is answered once (the Idempotency-Key is the same on every attempt)', async () => {
    const operator = createMaskingClient({ baseUrl, adminToken: e2e.adminToken })
    const t = await operator.post('/admin/v1/tenants', { body: { name: 'Retry Co', rate_limit_per_second: 1000 } })
    let attempts = 0
    const tenant = createMaskingClient({
      baseUrl,
      apiKey: t.api_key.api_key ?? '',
      sleep: async () => undefined,
      // The first answer is lost on the way back (as a dropped connection would lose it).
      fetch: async (r) => {
        const res = await fetch(r)
        if (++attempts === 1) return new Response('', { status: 503 })
        return res
      },
    })
    const key = await tenant.post('/v1/api-keys', { body: { label: 'once' } })
    expect(attempts).toBe(2)
    const list = await createMaskingClient({ baseUrl, apiKey: t.api_key.api_key ?? '' }).get('/v1/api-keys')
    expect(list.items.filter((k) => k.label === 'once').map((k) => k.id)).toEqual([key.id])
  }, 60_000)

  test('errors are typed: code, status, request id, and every validation issue', async () => {
    const operator = createMaskingClient({ baseUrl, adminToken: e2e.adminToken })
    const t = await operator.post('/admin/v1/tenants', { body: { name: 'Errors Co', rate_limit_per_second: 1000 } })
    const tenant = createMaskingClient({ baseUrl, apiKey: t.api_key.api_key ?? '' })
    const missing = await tenant.get('/v1/sessions/{session_ref}', { params: { path: { session_ref: 'no-such-order' } } }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(MaskingApiError)
    expect(missing).toMatchObject({ status: 404, code: 'session_not_found' })
    expect((missing as MaskingApiError).requestId).toBeTruthy()
    const invalid = await tenant.post('/v1/sessions', { body: { order_id: '', driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 0 } }).catch((e: unknown) => e)
    expect(invalid).toMatchObject({ status: 422 })
    expect((invalid as MaskingApiError).issues.map((i) => i.loc.join('.')).sort()).toEqual(['body.order_id', 'body.ttl_minutes'])
    const bad = createMaskingClient({ baseUrl, apiKey: 'msk_live_not-a-key' })
    expect(await bad.get('/v1/sessions').catch((e: unknown) => e)).toMatchObject({ status: 401 })
  }, 60_000)

  test('pagination walks every page', async () => {
    const operator = createMaskingClient({ baseUrl, adminToken: e2e.adminToken })
    const t = await operator.post('/admin/v1/tenants', { body: { name: 'Pages Co', rate_limit_per_second: 1000 } })
    const tenant = createMaskingClient({ baseUrl, apiKey: t.api_key.api_key ?? '' })
    for (let i = 0; i < 6; i++) await tenant.post('/v1/api-keys', { body: { label: `k${i}` } })
    const ids: string[] = []
    for await (const k of tenant.paginate('/v1/api-keys', undefined, 2)) ids.push(k.id)
    expect(ids).toHaveLength(7)
    expect(new Set(ids).size).toBe(7)
  }, 60_000)
})
