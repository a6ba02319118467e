/**
 * The API key lifecycle through the gateway, with identity and two gateways as separate
 * processes on real NATS and PostgreSQL: every rule of api-keys-guide.md.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { generateApiKey } from '../../shared/api-key'
import { client, createTenant, type Client } from '../support/http'

/** The gateway's own request ids: `req_` + a ULID (shared/ids.ts). */
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/
import { e2eAvailable, startE2E, type E2E } from '../support/launched'

let e2e: E2E
let http: Client
let http2: Client
const plaintexts: string[] = []
const seen = (key: string) => (plaintexts.push(key), key)

describe.skipIf(!e2eAvailable)('e2e: api keys', () => {
  beforeAll(async () => {
    // Debug logging: every request is logged, so the no-plaintext-in-logs check has lines to read.
    e2e = await startE2E({ services: ['identity', 'gateway'], instances: { gateway: 2 }, env: { LOG_LEVEL: 'debug' } })
    ;[http, http2] = e2e.launched.gatewayUrls.map(client) as [Client, Client]
  }, 60_000)
  afterAll(() => e2e?.stop(), 30_000)

  describe('api keys: lifecycle', () => {
    test('create a tenant: first key shown once, list shows only its prefix', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      expect(t.key).toMatch(/^msk_live_[0-9A-Za-z]{38}$/)
      const list = await http.get('/v1/api-keys', { key: t.key })
      expect(list.status).toBe(200)
      expect(list.body.tenant_id).toBe(t.tenantId)
      expect(list.body.items).toHaveLength(1)
      expect(list.body.items[0]).toMatchObject({ id: t.keyId, api_key_prefix: t.key.slice(0, 15), is_active: true, revoked_at: null })
      expect(list.body.items[0].api_key).toBeUndefined()
      expect(list.text).not.toContain(t.key)
    })

    test('create, rotate and revoke follow the guide; old keys die on the very next request', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const created = await http.post('/v1/api-keys', { key: t.key, body: { label: 'mobile-backend' } })
      expect(created.status).toBe(200)
      expect(created.body).toMatchObject({ tenant_id: t.tenantId, label: 'mobile-backend', api_key_prefix: created.body.api_key.slice(0, 15) })
      expect(created.body.id).toStartWith('key_')
      expect(created.body.created_at).toMatch(/Z$/)
      const k2 = seen(created.body.api_key as string)
      expect((await http.get('/v1/api-keys', { key: k2 })).status).toBe(200)

      // Rotate the key we authenticate with: its reply is the last thing it can do.
      const rotated = await http.post(`/v1/api-keys/${created.body.id}/rotate`, { key: k2 })
      expect(rotated.status).toBe(200)
      expect(rotated.body).toMatchObject({ tenant_id: t.tenantId, revoked_api_key_id: created.body.id, label: 'mobile-backend' })
      const k3 = seen(rotated.body.api_key as string)
      expect(rotated.body.new_api_key_id).not.toBe(created.body.id)
      expect((await http.get('/v1/api-keys', { key: k2 })).status).toBe(401)
      expect((await http2.get('/v1/api-keys', { key: k2 })).status).toBe(401)
      expect((await http.get('/v1/api-keys', { key: k3 })).status).toBe(200)

      // Revoke the first key using the rotated one; again at once, and idempotently.
      const revoked = await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: k3 })
      expect(revoked.status).toBe(200)
      expect(revoked.body).toMatchObject({ revoked_api_key_id: t.keyId })
      expect(revoked.body.already_revoked).toBeUndefined()
      expect((await http.get('/v1/api-keys', { key: t.key })).status).toBe(401)
      const again = await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: k3 })
      expect(again.status).toBe(200)
      expect(again.body).toMatchObject({ revoked_api_key_id: t.keyId, already_revoked: true })

      // Only k3 is active now: revoking it is refused, so the tenant is never locked out.
      const last = await http.post(`/v1/api-keys/${rotated.body.new_api_key_id}/revoke`, { key: k3 })
      expect(last.status).toBe(409)
      expect(last.body.error.code).toBe('last_active_key')
      // Rotating a revoked key is refused.
      expect((await http.post(`/v1/api-keys/${t.keyId}/rotate`, { key: k3 })).body.error.code).toBe('key_already_revoked')

      const list = await http.get('/v1/api-keys', { key: k3 })
      expect(list.body.items.map((k: { is_active: boolean }) => k.is_active).sort()).toEqual([false, false, true])
    })

    test('Idempotency-Key: a retried create makes no second key and never replays (or stores) the plaintext', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const headers = { 'idempotency-key': 'create-once-1' }
      const first = await http.post('/v1/api-keys', { key: t.key, body: { label: 'ci' }, headers })
      expect(first.status).toBe(200)
      seen(first.body.api_key)
      const replay = await http2.post('/v1/api-keys', { key: t.key, body: { label: 'ci' }, headers })
      expect(replay.status).toBe(200)
      expect(replay.body).toMatchObject({ id: first.body.id, api_key_prefix: first.body.api_key_prefix, api_key: null, api_key_shown_once: true })
      const reused = await http.post('/v1/api-keys', { key: t.key, body: { label: 'other' }, headers })
      expect(reused.status).toBe(422)
      expect(reused.body.error.code).toBe('idempotency_key_reused')
      expect((await http.get('/v1/api-keys', { key: t.key })).body.total).toBe(2)

      const revokeHeaders = { 'idempotency-key': 'revoke-once-1' }
      const r1 = await http.post(`/v1/api-keys/${first.body.id}/revoke`, { key: t.key, headers: revokeHeaders })
      const r2 = await http.post(`/v1/api-keys/${first.body.id}/revoke`, { key: t.key, headers: revokeHeaders })
      expect(r2.body).toEqual(r1.body) // the first answer again, not already_revoked
      expect(r1.body.already_revoked).toBeUndefined()
    })

    test('two concurrent revokes of a tenant’s last two keys leave exactly one active', async () => {
      for (let round = 0; round < 5; round++) {
        const t = await createTenant(http, e2e.adminToken)
        seen(t.key)
        const second = await http.post('/v1/api-keys', { key: t.key, body: {} })
        const k2 = seen(second.body.api_key as string)
        // Through two different gateways at once: each revokes the other's key.
        const [a, b] = await Promise.all([
          http.post(`/v1/api-keys/${second.body.id}/revoke`, { key: t.key }),
          http2.post(`/v1/api-keys/${t.keyId}/revoke`, { key: k2 }),
        ])
        // The loser is refused: 409 (last active key), or 401 when the winner revoked its key
        // before the loser's key was verified. Never both revoked.
        const statuses = [a.status, b.status].sort()
        expect(statuses[0]).toBe(200)
        expect([401, 409]).toContain(statuses[1]!)
        const survivor = a.status === 200 ? t.key : k2
        const list = await http.get('/v1/api-keys', { key: survivor })
        expect(list.body.items.filter((k: { is_active: boolean }) => k.is_active)).toHaveLength(1)
      }
    })

    test('a key revoked through one gateway is refused by the other, which had it cached, within a second', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const extra = await http.post('/v1/api-keys', { key: t.key, body: {} })
      const k2 = seen(extra.body.api_key as string)
      expect((await http2.get('/v1/api-keys', { key: k2 })).status).toBe(200) // now in gateway 2's cache
      expect((await http.post(`/v1/api-keys/${extra.body.id}/revoke`, { key: t.key })).status).toBe(200)
      const deadline = Date.now() + 1000
      let status = 200
      while (status === 200 && Date.now() < deadline) status = (await http2.get('/v1/api-keys', { key: k2 })).status
      expect(status).toBe(401)
    })

    test("tenant A's key id is 404 for tenant B", async () => {
      const a = await createTenant(http, e2e.adminToken)
      const b = await createTenant(http, e2e.adminToken)
      seen(a.key)
      seen(b.key)
      for (const action of ['rotate', 'revoke']) {
        const r = await http.post(`/v1/api-keys/${a.keyId}/${action}`, { key: b.key })
        expect(r.status).toBe(404)
        expect(r.body.error.code).toBe('api_key_not_found')
      }
      expect((await http.get('/v1/api-keys', { key: a.key })).body.items[0].is_active).toBe(true)
    })

    test('missing, garbage, unknown and expired keys get 401; a key without the scope gets 403', async () => {
      for (const headers of [{}, { 'x-api-key': 'garbage' }, { authorization: 'Bearer garbage' }, { 'x-api-key': generateApiKey() }] as Record<string, string>[]) {
        const r = await http.get('/v1/api-keys', { headers })
        expect(r.status).toBe(401)
        expect(r.body.error.code).toBe('unauthorized')
      }
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const limited = await http.post('/v1/api-keys', { key: t.key, body: { label: 'read-calls', scopes: ['calls:read'], expires_in_days: 30 } })
      expect(limited.body.scopes).toEqual(['calls:read'])
      expect(Date.parse(limited.body.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000)
      const r = await http.get('/v1/api-keys', { key: seen(limited.body.api_key) })
      expect(r.status).toBe(403)
      expect(r.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'keys:manage' })

      // Expire a key (as time would) before its first use: refused.
      const doomed = await http.post('/v1/api-keys', { key: t.key, body: { expires_in_days: 1 } })
      const sql = new SQL(e2e.env.DATABASE_URL!)
      await sql`update identity.api_keys set expires_at = now() - interval '1 second' where id = ${doomed.body.id}`
      await sql.close()
      const expired = await http.get('/v1/api-keys', { key: seen(doomed.body.api_key) })
      expect(expired.status).toBe(401)
      expect(expired.body.error.message).toContain('expired')
      // An expired key is not active, so it does not count against the last-key rule.
      const list = await http.get('/v1/api-keys', { key: t.key })
      expect(list.body.items.find((k: { id: string }) => k.id === doomed.body.id).is_active).toBe(false)
    })

    test('Bearer works like X-API-Key, and the key use is recorded as last_used_at', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      expect((await http.get('/v1/api-keys', { bearer: t.key })).status).toBe(200)
      let lastUsed: string | null = null
      for (let i = 0; i < 40 && !lastUsed; i++) {
        await Bun.sleep(100)
        lastUsed = (await http.get('/v1/api-keys', { key: t.key })).body.items[0].last_used_at
      }
      expect(lastUsed).toMatch(/Z$/)
    })

    test('every create, rotate and revoke is in the audit log with actor, request id and source address', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const c = await http.post('/v1/api-keys', { key: t.key, body: { label: 'x' }, headers: { 'x-request-id': 'req-audit-create' } })
      seen(c.body.api_key)
      const r = await http.post(`/v1/api-keys/${c.body.id}/rotate`, { key: t.key, headers: { 'x-request-id': 'req-audit-rotate' } })
      seen(r.body.api_key)
      await http.post(`/v1/api-keys/${r.body.new_api_key_id}/revoke`, { key: t.key, headers: { 'x-request-id': 'req-audit-revoke' } })
      const audit = await http.get('/v1/audit-events', { key: t.key })
      expect(audit.status).toBe(200)
      expect(audit.body.total).toBe(4)
      const [revoke, rotate, create, first] = audit.body.items
      expect(first).toMatchObject({ action: 'key.created', key_id: t.keyId, actor_type: 'operator', tenant_id: t.tenantId })
      const actor = { actor_type: 'api_key', actor_key_id: t.keyId, actor_key_prefix: t.key.slice(0, 15), source_ip: expect.stringMatching(/127\.0\.0\.1/) }
      expect(create).toMatchObject({ action: 'key.created', key_id: c.body.id, key_prefix: c.body.api_key_prefix, request_id: 'req-audit-create', ...actor })
      expect(rotate).toMatchObject({ action: 'key.rotated', key_id: c.body.id, new_key_id: r.body.new_api_key_id, request_id: 'req-audit-rotate', ...actor })
      expect(revoke).toMatchObject({ action: 'key.revoked', key_id: r.body.new_api_key_id, request_id: 'req-audit-revoke', ...actor })
    })
  })

  describe('api keys: limits and validation', () => {
    test('a burst past the rate limit gets 429 with Retry-After, and requests succeed again after', async () => {
      const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 2 })
      seen(t.key)
      const results = []
      for (let i = 0; i < 8; i++) results.push(await http.get('/v1/api-keys', { key: t.key }))
      const ok = results.filter((r) => r.status === 200)
      const limited = results.filter((r) => r.status === 429)
      expect(ok.length).toBeGreaterThanOrEqual(4) // burst = 2 × rate
      expect(limited.length).toBeGreaterThan(0)
      expect(limited[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
      expect(limited[0]!.body.error.code).toBe('rate_limited')
      expect(ok[0]!.headers.get('ratelimit-limit')).toBe('4')
      expect(ok[0]!.headers.get('ratelimit-remaining')).toMatch(/^\d+$/)
      expect(ok[0]!.headers.get('ratelimit-reset')).toMatch(/^\d+$/)
      await Bun.sleep(Number(limited[0]!.headers.get('retry-after')) * 1000 + 50)
      expect((await http.get('/v1/api-keys', { key: t.key })).status).toBe(200)
    })

    test('bad bodies and out-of-range query values give 422 with detail [{loc, msg, type}]', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const cases: [string, string, unknown, unknown[]][] = [
        ['POST', '/v1/api-keys', { label: 'x'.repeat(81) }, ['body', 'label']],
        ['POST', '/v1/api-keys', { scopes: ['calls:fly'] }, ['body', 'scopes', 0]],
        ['POST', '/v1/api-keys', { expires_in_days: 0 }, ['body', 'expires_in_days']],
        ['POST', '/v1/api-keys', '{"label": ', ['body']],
        ['GET', '/v1/audit-events?limit=0', undefined, ['query', 'limit']],
        ['GET', '/v1/audit-events?limit=501', undefined, ['query', 'limit']],
        ['GET', '/v1/audit-events?offset=-1', undefined, ['query', 'offset']],
        ['GET', '/v1/audit-events?limit=abc', undefined, ['query', 'limit']],
      ]
      for (const [method, path, body, loc] of cases) {
        const r = await http.call(method, path, { key: t.key, body })
        expect(r.status).toBe(422)
        expect(r.body.error.code).toBe('validation_error')
        expect(r.body.detail[0].loc).toEqual(loc)
        expect(typeof r.body.detail[0].msg).toBe('string')
        expect(typeof r.body.detail[0].type).toBe('string')
      }
      // Unknown fields are refused, each named, with the field probably meant: a misspelt `scope`
      // must not mint a key with every scope, nor `expires_in` one that never expires.
      const before = (await http.get('/v1/api-keys', { key: t.key })).body.total
      const extra = await http.post('/v1/api-keys', { key: t.key, body: { label: 'x', scope: ['sessions:read'], expires_in: 30 } })
      expect(extra.status).toBe(422)
      expect(extra.body.detail).toEqual([
        { loc: ['body', 'scope'], msg: "Extra inputs are not permitted; did you mean 'scopes'?", type: 'extra_forbidden' },
        { loc: ['body', 'expires_in'], msg: "Extra inputs are not permitted; did you mean 'expires_in_days'?", type: 'extra_forbidden' },
      ])
      expect((await http.get('/v1/api-keys', { key: t.key })).body.total).toBe(before)
    })

    test('bodies over 64 KiB get 413, headers over 8 KiB 431, in the documented shape; every response carries X-Request-Id', async () => {
      const t = await createTenant(http, e2e.adminToken)
      seen(t.key)
      const big = await http.post('/v1/api-keys', { key: t.key, body: { label: 'x', pad: 'y'.repeat(70 * 1024) } })
      expect(big.status).toBe(413)
      expect(big.body.error.code).toBe('payload_too_large')
      // Past Bun's own limits too (its header limit raised where we start Bun, its body limit out
      // of the way): a 20 KiB header and a 1 MiB streamed body get our shape, not Bun's empty answer.
      const headers = await fetch(`${e2e.launched.gatewayUrls[0]}/v1/api-keys`, { headers: { 'x-api-key': t.key, 'x-pad': 'y'.repeat(20 * 1024) } })
      expect(headers.status).toBe(431)
      expect(((await headers.json()) as any).error.code).toBe('request_header_fields_too_large')
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < 256; i++) c.enqueue(new TextEncoder().encode('x'.repeat(4096)))
          c.close()
        },
      })
      const streamed = await fetch(`${e2e.launched.gatewayUrls[0]}/v1/api-keys`, { method: 'POST', headers: { 'x-api-key': t.key, 'content-type': 'application/json' }, body: stream })
      expect(streamed.status).toBe(413)
      expect(((await streamed.json()) as any).error.code).toBe('payload_too_large')
      const declared = await fetch(`${e2e.launched.gatewayUrls[0]}/v1/api-keys`, { method: 'POST', headers: { 'x-api-key': t.key, 'content-type': 'application/json' }, body: 'x'.repeat(300 * 1024) })
      expect(declared.status).toBe(413)
      for (const r of [headers, streamed, declared]) expect(r.headers.get('x-request-id')).toMatch(REQUEST_ID)
      for (const r of [big, await http.get('/v1/api-keys'), await http.get('/nowhere'), await http.get('/v1/api-keys', { key: t.key })]) {
        expect(r.headers.get('x-request-id')).toMatch(REQUEST_ID)
        if (r.status >= 400) expect(r.body.error.request_id).toBe(r.headers.get('x-request-id'))
      }
    })

    test('the operator API needs the admin token', async () => {
      expect((await http.get('/admin/v1/tenants')).status).toBe(401)
      expect((await http.get('/admin/v1/tenants', { bearer: 'wrong-token-wrong-token' })).status).toBe(401)
      const t = await createTenant(http, e2e.adminToken, { number_sharing: 'shared' })
      seen(t.key)
      const got = await http.get(`/admin/v1/tenants/${t.tenantId}`, { bearer: e2e.adminToken })
      expect(got.body).toMatchObject({ id: t.tenantId, number_sharing: 'shared', rate_limit_per_second: null })
      const patched = await http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: e2e.adminToken, body: { rate_limit_per_second: 5 } })
      expect(patched.body.rate_limit_per_second).toBe(5)
      const list = await http.get('/admin/v1/tenants?limit=500', { bearer: e2e.adminToken })
      expect(list.body.items.some((x: { id: string }) => x.id === t.tenantId)).toBe(true)
      expect((await http.get('/admin/v1/tenants/ten_nope', { bearer: e2e.adminToken })).status).toBe(404)
    })
  })

  describe('api keys: the plaintext is nowhere but in its one reply', () => {
    test('not in any list, any log line, or any database column', async () => {
      expect(plaintexts.length).toBeGreaterThan(15)
      const t = await createTenant(http, e2e.adminToken)
      const lists = JSON.stringify((await http.get('/v1/api-keys', { key: t.key })).body)
      const logs = e2e.launched.processes.flatMap((p) => p.lines).join('\n')
      const sql = new SQL(e2e.env.DATABASE_URL!)
      const tables = await sql`select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`
      let dump = ''
      for (const { table_schema, table_name } of tables) {
        const rows = await sql.unsafe(`select row_to_json(t)::text as j from "${table_schema}"."${table_name}" t`)
        dump += rows.map((r: { j: string }) => r.j).join('\n')
      }
      await sql.close()
      expect(dump).toContain(t.key.slice(0, 15)) // the prefix is stored…
      for (const key of [...plaintexts, t.key]) {
        expect(lists).not.toContain(key)
        expect(logs).not.toContain(key)
        expect(dump).not.toContain(key) // …the key is not
      }
    })
  })
})
