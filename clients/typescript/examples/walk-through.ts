/**
 * The README's walk-through with the SDK: an operator creates a tenant and gives it numbers; the
 * tenant manages keys, creates a session, asks for a call, reads call records and its webhook
 * secret, and completes the session.
 *
 *   API=http://localhost:8080 ADMIN_TOKEN=$(cat data/admin-token) bun clients/typescript/examples/walk-through.ts
 *
 * tests/e2e/sdk-example.test.ts runs this against the services as separate processes.
 */
import { createMaskingClient, MaskingApiError } from '../src'

export interface WalkThroughResult {
  tenantId: string
  sessionId: string
  maskedNumber: string
  rotatedKeyId: string
  oldKeyStatus: number
  openSessions: number
  originate: string
  completedStatus: string
}

export interface WalkThroughOptions {
  baseUrl: string
  adminToken: string
  numbers?: string[]
  /** Where state callbacks go (an absolute http(s) URL your receiver listens on). */
  stateCallback?: string
  log?: (line: string) => void
}

export async function walkThrough(opts: WalkThroughOptions): Promise<WalkThroughResult> {
  const log = opts.log ?? console.log
  const numbers = opts.numbers ?? ['+12025550100', '+12025550101']

  // Operator: create a tenant. The reply holds its first API key (shown once) and its webhook secret.
  const operator = createMaskingClient({ baseUrl: opts.baseUrl, adminToken: opts.adminToken })
  const created = await operator.post('/admin/v1/tenants', { body: { name: 'Acme Rides' } })
  const tenantId = created.tenant.id
  const firstKey = created.api_key.api_key
  if (!firstKey) throw new Error('a new tenant’s reply carries its first key')
  log(`tenant ${tenantId}, first key ${created.api_key.api_key_prefix}…`)

  // Tenant: list keys (prefixes only) and mint a second key for the mobile backend.
  const tenant = createMaskingClient({ baseUrl: opts.baseUrl, apiKey: firstKey })
  const keys = await tenant.get('/v1/api-keys')
  log(`keys: ${keys.items.map((k) => k.api_key_prefix).join(', ')}`)
  const mobile = await tenant.post('/v1/api-keys', { body: { label: 'mobile-backend', scopes: ['sessions:read', 'sessions:write'], expires_in_days: 90 } })
  const mobileKey = mobile.api_key
  if (!mobileKey) throw new Error('a new key’s reply carries its plaintext')

  // Rotate the mobile key (not the one we are calling with): the old mobile key stops working at
  // once. Rotating the key a client is using ends that client's access the same way.
  const rotated = await tenant.post('/v1/api-keys/{api_key_id}/rotate', { params: { path: { api_key_id: mobile.id } } })
  let oldKeyStatus = 200
  try {
    await tenant.withApiKey(mobileKey).get('/v1/sessions')
  } catch (e) {
    if (!(e instanceof MaskingApiError)) throw e
    oldKeyStatus = e.status
  }
  log(`rotated ${mobile.id} → ${rotated.new_api_key_id}; the old mobile key now answers ${oldKeyStatus}`)
  const revoked = await tenant.post('/v1/api-keys/{api_key_id}/revoke', { params: { path: { api_key_id: rotated.new_api_key_id } } })
  log(`revoked ${revoked.revoked_api_key_id} at ${revoked.revoked_at}`)
  for await (const e of tenant.paginate('/v1/audit-events', { params: { query: { limit: 10 } } })) log(`audit: ${e.action} ${e.key_prefix}`)

  // Operator: put numbers in the pool (idempotent) and assign them to the tenant.
  const imported = await operator.post('/admin/v1/dids', { body: { numbers } })
  log(`imported ${imported.imported.length}, already known ${imported.already_known.length}`)
  for (const e164 of numbers) await operator.post('/admin/v1/dids/{e164}/assign', { params: { path: { e164 } }, body: { tenant_id: tenantId } })
  const assignments = await tenant.get('/v1/did/assignments')
  log(`the tenant holds ${assignments.items.map((a) => a.e164).join(', ')}`)

  // Tenant: create a session (retries carry the same Idempotency-Key, so they are answered once).
  const session = await tenant.post('/v1/sessions', {
    body: { order_id: 'trip-1001', driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 90 },
  })
  log(`session ${session.id}: masked number ${session.masked_e164}, expires ${session.expires_at}`)
  const byOrder = await tenant.get('/v1/sessions/{session_ref}', { params: { path: { session_ref: 'trip-1001' } } })
  let openSessions = 0
  for await (const s of tenant.paginate('/v1/sessions', { params: { query: { status: 'open' } } })) if (s.id === byOrder.id) openSessions++

  // Tenant: ring the driver, then the customer. Without a SIP engine (no DRACHTIO_HOST) the
  // platform answers 503 sip_unavailable, and says so at once.
  let originate: string
  try {
    const call = await tenant.post('/v1/calls/originate', { body: { session_id: session.id, state_callback: opts.stateCallback ?? 'https://example.com/call-events' } })
    originate = call.status
    const record = await tenant.get('/v1/calls/{call_id}', { params: { path: { call_id: call.call_id } } })
    log(`call ${record.id}: ${record.status}, ${record.callbacks.length} callback deliveries`)
  } catch (e) {
    if (!(e instanceof MaskingApiError) || e.code !== 'sip_unavailable') throw e
    originate = e.code
    log(`originate: ${e.message}`)
  }
  const calls = await tenant.get('/v1/calls', { params: { query: { session_id: session.id } } })
  log(`${calls.total} call record(s) for the session`)
  const secret = await tenant.get('/v1/webhook-secret')
  log(`webhook secret for ${secret.tenant_id} is ${secret.webhook_secret.length} characters long`)

  const done = await tenant.post('/v1/sessions/{session_ref}/complete', { params: { path: { session_ref: session.id } } })
  log(`session ${done.id} ${done.status}`)
  return {
    tenantId,
    sessionId: session.id,
    maskedNumber: session.masked_e164,
    rotatedKeyId: mobile.id,
    oldKeyStatus,
    openSessions,
    originate,
    completedStatus: done.status,
  }
}

if (import.meta.main) {
  const baseUrl = process.env.API ?? 'http://localhost:8080'
  const adminToken = process.env.ADMIN_TOKEN
  if (!adminToken) throw new Error('set ADMIN_TOKEN (all-in-one: $(cat data/admin-token))')
  await walkThrough({ baseUrl, adminToken })
}
