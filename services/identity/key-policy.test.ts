/**
 * Key policy through the gateway on real NATS + PostgreSQL: a key grants only scopes it holds,
 * the last-key guard counts only keys that keep the tenant in control, and the operator can mint
 * a key for a tenant (audited as the operator).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant, type Client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { gatewayService } from '../gateway/service'
import { grantableScopes } from './keys'
import { identityService } from './service'

let p: TestPlatform
let http: Client

beforeAll(async () => {
  p = await startTestPlatform([identityService, gatewayService])
  http = client(p.baseUrl)
})
afterAll(() => p?.stop(), 30_000)

const mint = (key: string, body: Record<string, unknown>) => http.post('/v1/api-keys', { key, body })

describe('grantableScopes', () => {
  test('omitted scopes inherit the minting key; the operator grants any', () => {
    expect(grantableScopes(undefined, ['keys:manage'])).toEqual(['keys:manage'])
    expect(grantableScopes(['sessions:read'], null)).toEqual(['sessions:read'])
    expect(() => grantableScopes(['keys:manage', 'calls:write'], ['keys:manage'])).toThrow(/calls:write/)
  })
})

describe('a key mints only keys with a subset of its scopes', () => {
  test('a keys:manage-only key cannot mint a full key, nor obtain one by rotation', async () => {
    const t = await createTenant(http, p.adminToken)
    const narrow = await mint(t.key, { label: 'narrow', scopes: ['keys:manage'] })
    expect(narrow.status).toBe(200)
    const nk = narrow.body.api_key as string

    const escalate = await mint(nk, { scopes: ['keys:manage', 'sessions:write'] })
    expect(escalate.status).toBe(403)
    expect(escalate.body.error).toMatchObject({ code: 'scope_not_held', scopes_not_held: ['sessions:write'] })

    const inherited = await mint(nk, { label: 'inherits' })
    expect(inherited.status).toBe(200)
    expect(inherited.body.scopes).toEqual(['keys:manage'])

    // Rotating the tenant's full key would hand the narrow key a full plaintext.
    const rotate = await http.post(`/v1/api-keys/${t.keyId}/rotate`, { key: nk })
    expect(rotate.status).toBe(403)
    expect(rotate.body.error.code).toBe('scope_not_held')
    expect((await http.get('/v1/api-keys', { key: t.key })).status).toBe(200)
  })
})

describe('the last-key guard counts only keys that stay usable', () => {
  test('the permanent key cannot be revoked while only an expiring key would remain', async () => {
    const t = await createTenant(http, p.adminToken)
    const expiring = await mint(t.key, { label: 'temp', expires_in_days: 1 })
    expect(expiring.status).toBe(200)
    const refused = await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: expiring.body.api_key })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('last_active_key')
    // The other way round is fine: the permanent key outlasts the expiring one.
    expect((await http.post(`/v1/api-keys/${expiring.body.id}/revoke`, { key: t.key })).status).toBe(200)
  })

  test('a remaining key without keys:manage does not count', async () => {
    const t = await createTenant(http, p.adminToken)
    const reader = await mint(t.key, { scopes: ['sessions:read'] })
    expect(reader.status).toBe(200)
    const refused = await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: t.key })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('last_active_key')
  })

  test('an expiring key may be revoked for one that expires later', async () => {
    const t = await createTenant(http, p.adminToken)
    const short = await mint(t.key, { expires_in_days: 1 })
    const long = await mint(t.key, { expires_in_days: 30 })
    expect((await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: t.key })).status).toBe(409)
    // Once only expiring keys remain (the operator minted the tenant into this state), the later one covers the earlier.
    const op = await http.post(`/admin/v1/tenants/${t.tenantId}/api-keys`, { bearer: p.adminToken, body: { expires_in_days: 2 } })
    expect(op.status).toBe(200)
    expect((await http.post(`/v1/api-keys/${short.body.id}/revoke`, { key: long.body.api_key })).status).toBe(200)
  })
})

describe('the operator mints a key for a tenant', () => {
  test('POST /admin/v1/tenants/{tenant_id}/api-keys: usable key, audited as the operator, idempotent', async () => {
    const t = await createTenant(http, p.adminToken)
    const path = `/admin/v1/tenants/${t.tenantId}/api-keys`
    const r = await http.post(path, { bearer: p.adminToken, body: { label: 'recovery' }, headers: { 'idempotency-key': 'op-mint-1' } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ tenant_id: t.tenantId, label: 'recovery' })
    expect(r.body.api_key).toMatch(/^msk_live_/)
    expect((await http.get('/v1/api-keys', { key: r.body.api_key })).status).toBe(200)

    const replay = await http.post(path, { bearer: p.adminToken, body: { label: 'recovery' }, headers: { 'idempotency-key': 'op-mint-1' } })
    expect(replay.status).toBe(200)
    expect(replay.body).toMatchObject({ id: r.body.id, api_key: null, api_key_shown_once: true })

    const audit = await http.get('/v1/audit-events', { key: t.key })
    const ev = audit.body.items.find((e: { key_id: string }) => e.key_id === r.body.id)
    expect(ev).toMatchObject({ action: 'key.created', actor_type: 'operator', actor_key_id: null })
    expect(audit.body.items.filter((e: { key_id: string }) => e.key_id === r.body.id)).toHaveLength(1)

    expect((await http.post(path, { body: {} })).status).toBe(401)
    expect((await http.post('/admin/v1/tenants/ten_nope/api-keys', { bearer: p.adminToken, body: {} })).status).toBe(404)
  })
})
