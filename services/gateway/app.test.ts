/**
 * The gateway app through `app.handle(new Request(…))`: access, the error funnel, and the input
 * guards, on a real in-process bus with a few responders standing in for the services.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { generateApiKey, hashApiKey } from '../../shared/api-key'
import type { Scope } from '../../shared/contracts/common'
import { did } from '../../shared/contracts/did'
import { identity } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import { AppError } from '../../shared/errors'
import { ADMIN_TOKEN, gatewayApp } from './test-app'

const key = generateApiKey()
let gw: ReturnType<typeof gatewayApp>
const suspended: string[] = []
const created: unknown[] = []

beforeAll(() => {
  gw = gatewayApp()
  gw.bus.serve(identity.verifyKey, async ({ key_hash }) => {
    if (key_hash !== hashApiKey(key)) throw new AppError('unauthorized', 'unknown API key')
    return { tenant_id: 'ten_t', key_id: 'key_t', key_prefix: key.slice(0, 15), scopes: ['sessions:read', 'sessions:write', 'keys:manage'] as Scope[], expires_at: null, rate_limit_per_second: null }
  })
  gw.bus.serve(did.suspend, async ({ e164 }) => {
    suspended.push(e164)
    throw new AppError('did_not_found', `${e164} is not in the pool`)
  })
  gw.bus.serve(sessions.create, async (input) => {
    created.push(input)
    throw new AppError('no_masked_number_available', 'none free')
  })
})
afterAll(() => gw.stop())

const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as any, headers: r.headers })

describe('access', () => {
  test('a key sent as `Authorization: <key>` without Bearer is told to add it', async () => {
    const r = await json(await gw.call('/v1/sessions', { headers: { authorization: key } }))
    expect(r.status).toBe(401)
    expect(r.body.error.message).toContain('needs the Bearer scheme: add "Bearer " before the key')
    expect(r.body.error.message).not.toContain(key)
    expect((await gw.call('/v1/sessions', { headers: { authorization: `Bearer ${key}` } })).status).not.toBe(401)
  })

  test('the operator token on a tenant route is named as such; a tenant key on an operator route too', async () => {
    const r = await json(await gw.call('/v1/sessions', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }))
    expect(r.status).toBe(401)
    expect(r.body.error.message).toContain('operator token')
    const a = await json(await gw.call('/admin/v1/tenants', { headers: { authorization: `Bearer ${key}` } }))
    expect(a.status).toBe(401)
    expect(a.body.error.message).toContain('tenant API key')
  })

  test('access is checked before the input: no key and a bad body is 401, not 422', async () => {
    const r = await gw.call('/v1/sessions', { method: 'POST', json: { nope: 1 } })
    expect(r.status).toBe(401)
  })
})

describe('validation: one funnel, every issue at once', () => {
  test('query and path issues come together, in the contract shape', async () => {
    const r = await json(await gw.call('/v1/sessions?limit=0&offset=-1&status=nope', { key }))
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('validation_error')
    expect(r.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual([
      ['query', 'limit'],
      ['query', 'offset'],
      ['query', 'status'],
    ])
    expect(r.headers.get('x-request-id')).toBe(r.body.error.request_id)
  })

  test('unknown body fields: 422 extra_forbidden naming the field and the one meant; nothing reaches the service', async () => {
    const before = created.length
    const r = await json(await gw.call('/v1/sessions', { method: 'POST', key, json: { driver_phone: '+14155550001', customer_phone: '+14155550002', ttl: 5 } }))
    expect(r.status).toBe(422)
    expect(r.body.detail).toEqual([{ loc: ['body', 'ttl'], msg: "Extra inputs are not permitted; did you mean 'ttl_minutes'?", type: 'extra_forbidden' }])
    expect(created.length).toBe(before)
  })

  test('defaults reach the service and a valid body passes', async () => {
    const r = await json(await gw.call('/v1/sessions', { method: 'POST', key, json: { driver_phone: '+14155550001', customer_phone: '+14155550002' } }))
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('no_masked_number_available')
  })

  test('malformed JSON is 422 json_invalid; a non-JSON body with another content type 415', async () => {
    const bad = await json(await gw.call('/v1/sessions', { method: 'POST', key, json: '{"driver_phone": ' }))
    expect(bad.body.detail).toEqual([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }])
    const text = await gw.call('/v1/sessions', { method: 'POST', key, body: 'hello', headers: { 'content-type': 'text/plain' } })
    expect(text.status).toBe(415)
  })
})

describe('what the access macro lets Elysia prepare (it reads the context member by member)', () => {
  test('a declared header is still validated: an over-long Idempotency-Key is 422 naming the header', async () => {
    const r = await json(await gw.call('/v1/api-keys', { method: 'POST', key, json: {}, headers: { 'idempotency-key': 'x'.repeat(300) } }))
    expect(r.status).toBe(422)
    expect(JSON.stringify(r.body.detail)).toContain('idempotency-key')
  })
})

describe('input guards (fuzzer findings)', () => {
  test('a NUL in a body string, a path or a query value: 422 naming the field', async () => {
    const body = await json(await gw.call('/v1/sessions', { method: 'POST', key, json: { order_id: 'a\u0000b', driver_phone: '+14155550001', customer_phone: '+14155550002' } }))
    expect(body.status).toBe(422)
    expect(body.body.detail).toEqual([{ loc: ['body', 'order_id'], msg: expect.stringContaining('NUL'), type: 'string_nul' }])
    const path = await json(await gw.call('/v1/sessions/%00', { key }))
    expect(path.status).toBe(422)
    expect(path.body.detail[0].loc).toEqual(['path', 'session_ref'])
    const query = await json(await gw.call('/v1/sessions?order_id=x%00', { key }))
    expect(query.status).toBe(422)
    expect(query.body.detail[0].loc).toEqual(['query', 'order_id'])
  })

  test('30,000-deep JSON in a nullable field: 422 too_deep, no stack overflow', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000)
    const raw = `{"driver_phone": "+14155550001", "customer_phone": "+14155550002", "order_id": ${deep}}`
    expect(raw.length).toBeLessThan(64 * 1024)
    const r = await json(await gw.call('/v1/sessions', { method: 'POST', key, json: raw }))
    expect(r.status).toBe(422)
    expect(r.body.detail[0]).toMatchObject({ type: 'too_deep' })
    expect(r.body.detail[0].loc.slice(0, 3)).toEqual(['body', 'order_id', 0])
  })

  test('a path is decoded once: /admin/v1/dids/%25zz/suspend asks for "%zz"', async () => {
    const r = await json(await gw.call('/admin/v1/dids/%25zz/suspend', { method: 'POST', admin: true }))
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('did_not_found')
    expect(suspended.at(-1)).toBe('%zz')
  })

  test('oversize headers and bodies get the documented shape and X-Request-Id', async () => {
    const h = await json(await gw.call('/v1/sessions', { key, headers: { 'x-pad': 'y'.repeat(9 * 1024) } }))
    expect(h.status).toBe(431)
    expect(h.body.error.code).toBe('request_header_fields_too_large')
    expect(h.headers.get('x-request-id')).toBe(h.body.error.request_id)
    // Sent as a stream (no Content-Length): cut off at 64 KiB while reading.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(4096)))
        c.close()
      },
    })
    const b = await json(await gw.call('/v1/sessions', { method: 'POST', key, body: stream, headers: { 'content-type': 'application/json' } }))
    expect(b.status).toBe(413)
    expect(b.body.error.code).toBe('payload_too_large')
    expect(b.headers.get('x-request-id')).toBe(b.body.error.request_id)
  })
})
