/**
 * Phone retention and erasure (issue 12, item 14) on real NATS and PostgreSQL, all services in
 * one process: each service's retention purge anonymises only ended records older than the
 * tenant's `phone_retention_days` (default 90, a tenant's own setting honoured); `POST
 * /v1/privacy/erasures` anonymises one number in the calling tenant's sessions, calls, callback
 * bodies and idempotency replies only, answers the counts, writes the audit record (hash, not
 * number), and touches nothing the second time; open sessions and live calls refuse it; a bad
 * number is a 422, a key without `privacy:write` a 403.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { newId } from '../../shared/ids'
import type { PhoneRetentionPurge } from '../../shared/phone-retention'
import type { ServiceDefinition } from '../../shared/service'
import { client, type Client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { numbers, tenantWith, type Fixture } from '../../tests/support/sessions-platform'
import { callControlService } from '../call-control/service'
import { didService } from '../did/service'
import { gatewayService } from '../gateway/service'
import { sessionsService, type SessionsRunning } from '../sessions/service'
import { identityService } from './service'

let tp: TestPlatform
let http: Client
let sessionsPurge: PhoneRetentionPurge
let callsPurge: PhoneRetentionPurge
beforeAll(async () => {
  tp = await startTestPlatform([identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], { CALLBACK_ALLOW_PRIVATE: 'true' })
  http = client(tp.baseUrl)
  sessionsPurge = (tp.platform.running.get('sessions') as SessionsRunning).phoneRetention
  callsPurge = (tp.platform.running.get('call-control') as unknown as { phoneRetention: PhoneRetentionPurge }).phoneRetention
}, 90_000) // five services' migrations: slow on the embedded PGlite fallback
afterAll(() => tp?.stop())

const f = () => ({ http, admin: tp.adminToken }) as unknown as Fixture
const rows = <T>(q: ReturnType<typeof sql>) => tp.platform.database.rows<T>(q)
const DAY = 86_400_000
let seq = 0
/** A fresh valid number each call. */
const phone = () => `+1415556${String(++seq).padStart(4, '0')}`
const R = '[redacted]'

/** A session created through the API and completed, its end moved `daysAgo` into the past. */
async function endedSession(key: string, driver: string, customer: string, daysAgo: number, opts: { idempotencyKey?: string } = {}) {
  const s = await http.post('/v1/sessions', { key, body: { driver_phone: driver, customer_phone: customer }, headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {} })
  expect(s.status).toBe(200)
  expect((await http.post(`/v1/sessions/${s.body.id}/complete`, { key })).status).toBe(200)
  await rows(sql`update sessions.sessions set ended_at = now() - make_interval(secs => ${(daysAgo * DAY) / 1000}) where id = ${s.body.id}`)
  return s.body.id as string
}

/** A call record as call-control writes it (no SIP here), ended `daysAgo` ago, or still running when null. */
async function callRecord(tenantId: string, from: string, to: string | null, daysAgo: number | null) {
  const id = newId('call')
  const ended = daysAgo === null ? null : new Date(Date.now() - daysAgo * DAY).toISOString()
  await rows(sql`
    insert into calls.calls (id, tenant_id, session_id, direction, status, from_party, to_party, from_phone, to_phone, masked_e164, ended_at, duration_seconds)
    values (${id}, ${tenantId}, null, 'inbound', ${ended ? 'completed' : 'answered'}, 'driver', 'customer', ${from}, ${to}, '+12025557000', ${ended}::timestamptz, ${ended ? 30 : null})`)
  return id
}

/** A stored `call.unmatched` callback of the call, carrying the caller's number (as call-control writes it). */
async function unmatchedCallback(tenantId: string, callId: string, from: string) {
  const body = JSON.stringify({ event_id: newId('evt'), event: 'call.unmatched', sequence: 1, call_id: callId, masked_e164: '+12025557000', from_phone: from, reason: 'no_session' })
  await rows(sql`insert into calls.callback_deliveries (id, call_id, tenant_id, sequence, event, event_id, url, body, status)
    values (${newId('cbd')}, ${callId}, ${tenantId}, 1, 'call.unmatched', ${newId('evt')}, 'https://example.com/cb', ${body}, 'delivered')`)
}

const session = async (key: string, id: string) => (await http.get(`/v1/sessions/${id}`, { key })).body as { driver_phone: string; customer_phone: string; status: string }
const call = async (key: string, id: string) => (await http.get(`/v1/calls/${id}`, { key })).body as { from_phone: string; to_phone: string | null }
const callbackBody = async (callId: string) => (await rows<{ body: string }>(sql`select body from calls.callback_deliveries where call_id = ${callId}`))[0]!.body

describe('retention', () => {
  test("ended sessions and calls past the tenant's phone_retention_days are anonymised; younger, open and running ones are not", async () => {
    const a = await tenantWith(f(), numbers('+1202557', 100, 3)) // default: 90 days
    const b = await tenantWith(f(), numbers('+1202557', 200, 3))
    const settings = await http.get('/v1/settings', { key: a.key })
    expect(settings.body.phone_retention_days).toBe(90)
    const set = await http.patch('/v1/settings', { key: b.key, body: { phone_retention_days: 7 } })
    expect([set.status, set.body.phone_retention_days]).toEqual([200, 7])
    expect((await http.get(`/admin/v1/tenants/${b.tenantId}`, { bearer: tp.adminToken })).body.phone_retention_days).toBe(7)

    const [p1, p2, p3, p4, p5, p6, p7, p8] = Array.from({ length: 8 }, phone) as string[]
    const aOld = await endedSession(a.key, p1!, p2!, 100)
    const aYoung = await endedSession(a.key, p1!, p3!, 30)
    const aOpen = (await http.post('/v1/sessions', { key: a.key, body: { driver_phone: p4, customer_phone: p5 } })).body.id as string
    // An open session that began long ago is still open: never touched.
    await rows(sql`update sessions.sessions set created_at = now() - interval '200 days' where id = ${aOpen}`)
    const bOld = await endedSession(b.key, p6!, p7!, 10)
    const bYoung = await endedSession(b.key, p6!, p8!, 3)

    const aOldCall = await callRecord(a.tenantId, p1!, p2!, 95)
    await unmatchedCallback(a.tenantId, aOldCall, p1!)
    const aYoungCall = await callRecord(a.tenantId, p1!, p3!, 20)
    const aUnmatchedOld = await callRecord(a.tenantId, p4!, null, 120)
    const aLive = await callRecord(a.tenantId, p4!, p5!, null)
    await rows(sql`update calls.calls set created_at = now() - interval '200 days' where id = ${aLive}`)
    const bOldCall = await callRecord(b.tenantId, p6!, p7!, 8)
    const bYoungCall = await callRecord(b.tenantId, p6!, p8!, 2)

    const anonymisedSessions = await sessionsPurge.runOnce()
    const anonymisedCalls = await callsPurge.runOnce()
    expect(anonymisedSessions).toBeGreaterThanOrEqual(2)
    expect(anonymisedCalls).toBeGreaterThanOrEqual(3)

    expect(await session(a.key, aOld)).toMatchObject({ driver_phone: R, customer_phone: R, status: 'completed' })
    expect(await session(a.key, aYoung)).toMatchObject({ driver_phone: p1, customer_phone: p3 })
    expect(await session(a.key, aOpen)).toMatchObject({ driver_phone: p4, customer_phone: p5, status: 'open' })
    expect(await session(b.key, bOld)).toMatchObject({ driver_phone: R, customer_phone: R })
    expect(await session(b.key, bYoung)).toMatchObject({ driver_phone: p6, customer_phone: p8 })

    expect(await call(a.key, aOldCall)).toMatchObject({ from_phone: R, to_phone: R })
    expect(await callbackBody(aOldCall)).not.toContain(p1!)
    expect(JSON.parse(await callbackBody(aOldCall))).toMatchObject({ from_phone: R, event: 'call.unmatched' })
    expect(await call(a.key, aYoungCall)).toMatchObject({ from_phone: p1, to_phone: p3 })
    expect(await call(a.key, aUnmatchedOld)).toMatchObject({ from_phone: R, to_phone: null })
    expect(await call(a.key, aLive)).toMatchObject({ from_phone: p4, to_phone: p5 })
    expect(await call(b.key, bOldCall)).toMatchObject({ from_phone: R, to_phone: R })
    expect(await call(b.key, bYoungCall)).toMatchObject({ from_phone: p6, to_phone: p8 })

    // Anonymised rows leave the purge's queue: a second pass finds nothing of these tenants.
    expect(await sessionsPurge.runOnce()).toBe(0)
    expect(await callsPurge.runOnce()).toBe(0)
  })

  test('phone_retention_days is bounded (1-3650) in the tenant settings and the operator patch', async () => {
    const a = await tenantWith(f(), [])
    for (const days of [0, 3651]) {
      const r = await http.patch('/v1/settings', { key: a.key, body: { phone_retention_days: days } })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['body', 'phone_retention_days'])
    }
    const op = await http.patch(`/admin/v1/tenants/${a.tenantId}`, { bearer: tp.adminToken, body: { phone_retention_days: 365 } })
    expect([op.status, op.body.phone_retention_days]).toEqual([200, 365])
  })
})

describe('erasure', () => {
  test("anonymises the number in the tenant's own sessions, calls, callbacks and idempotency replies; audited by hash; again touches 0", async () => {
    const a = await tenantWith(f(), numbers('+1202557', 300, 3))
    const b = await tenantWith(f(), numbers('+1202557', 400, 3))
    const [p, q, r] = [phone(), phone(), phone()]
    const asDriver = await endedSession(a.key, p, q, 1, { idempotencyKey: 'erase-idem-1' })
    const asCustomer = await endedSession(a.key, r, p, 2)
    const unrelated = await endedSession(a.key, q, r, 1)
    const otherTenant = await endedSession(b.key, p, q, 1)
    const from = await callRecord(a.tenantId, p, q, 1)
    const to = await callRecord(a.tenantId, r, p, 1)
    const unmatched = await callRecord(a.tenantId, p, null, 1)
    await unmatchedCallback(a.tenantId, unmatched, p)
    const otherCall = await callRecord(b.tenantId, p, q, 1)

    const res = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: p } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      tenant_id: a.tenantId,
      phone_sha256: createHash('sha256').update(p).digest('hex'),
      touched: { sessions: 2, calls: 3, callback_deliveries: 1, idempotency_records: 1 },
      actor_key_id: a.keyId,
    })
    expect(res.body.id).toStartWith('era_')
    expect(JSON.stringify(res.body)).not.toContain(p)

    // Only the erased number goes; the other party's stays.
    expect(await session(a.key, asDriver)).toMatchObject({ driver_phone: R, customer_phone: q })
    expect(await session(a.key, asCustomer)).toMatchObject({ driver_phone: r, customer_phone: R })
    expect(await session(a.key, unrelated)).toMatchObject({ driver_phone: q, customer_phone: r })
    expect(await call(a.key, from)).toMatchObject({ from_phone: R, to_phone: q })
    expect(await call(a.key, to)).toMatchObject({ from_phone: r, to_phone: R })
    expect(JSON.parse(await callbackBody(unmatched))).toMatchObject({ from_phone: R })
    // The session create's stored reply (it carried the number) is gone.
    expect(await rows(sql`select key from sessions.idempotency_keys where tenant_id = ${a.tenantId} and key = 'erase-idem-1'`)).toHaveLength(0)
    // Another tenant's records are not its to erase.
    expect(await session(b.key, otherTenant)).toMatchObject({ driver_phone: p, customer_phone: q })
    expect(await call(b.key, otherCall)).toMatchObject({ from_phone: p })

    // The audit record: who, when, the hash and the counts; the number nowhere in identity's table.
    const audit = await http.get('/v1/privacy/erasures', { key: a.key })
    expect(audit.status).toBe(200)
    expect(audit.body.items).toEqual([res.body])
    const stored = await rows<{ r: string }>(sql`select e::text as r from identity.erasures e where tenant_id = ${a.tenantId}`)
    expect(stored).toHaveLength(1)
    expect(stored[0]!.r).not.toContain(p.slice(1))
    expect((await http.get('/v1/privacy/erasures', { key: b.key })).body.items).toEqual([])

    // Idempotent: a second erasure touches nothing, and is audited too.
    const again = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: p } })
    expect(again.status).toBe(200)
    expect(again.body.touched).toEqual({ sessions: 0, calls: 0, callback_deliveries: 0, idempotency_records: 0 })
    expect(again.body.id).not.toBe(res.body.id)
    expect((await http.get('/v1/privacy/erasures', { key: a.key })).body.total).toBe(2)

    // With an Idempotency-Key a retry answers the first outcome.
    const k1 = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: q }, headers: { 'idempotency-key': 'erase-q' } })
    const k2 = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: q }, headers: { 'idempotency-key': 'erase-q' } })
    expect(k1.status).toBe(200)
    expect(k2.body).toEqual(k1.body)
  })

  test('an open session with the number refuses it (409, nothing touched); so does a running call', async () => {
    const a = await tenantWith(f(), numbers('+1202557', 500, 3))
    const [p, q, r] = [phone(), phone(), phone()]
    const ended = await endedSession(a.key, p, q, 1)
    const open = (await http.post('/v1/sessions', { key: a.key, body: { driver_phone: r, customer_phone: p } })).body.id as string
    const refused = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: p } })
    expect([refused.status, refused.body.error.code, refused.body.error.session_ids]).toEqual([409, 'phone_in_open_session', [open]])
    expect(await session(a.key, ended)).toMatchObject({ driver_phone: p })
    expect((await http.get('/v1/privacy/erasures', { key: a.key })).body.total).toBe(0)

    await http.post(`/v1/sessions/${open}/complete`, { key: a.key })
    const live = await callRecord(a.tenantId, p, q, null)
    const running = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: p } })
    expect([running.status, running.body.error.code, running.body.error.call_ids]).toEqual([409, 'phone_in_live_call', [live]])
    await rows(sql`update calls.calls set status = 'completed', ended_at = now() where id = ${live}`)
    const done = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: p } })
    expect(done.status).toBe(200)
    expect(done.body.touched.calls).toBe(1)
    expect(await session(a.key, open)).toMatchObject({ driver_phone: r, customer_phone: R })
  })

  test('a number that is not E.164 is a 422 naming the field; a key without privacy:write is a 403', async () => {
    const a = await tenantWith(f(), [])
    for (const bad of ['14155550123', '+1415555', '+1 415 555 0123', 'not-a-number', '']) {
      const r = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: bad } })
      expect([bad, r.status, r.body.error.code]).toEqual([bad, 422, 'validation_error'])
      expect(r.body.detail[0].loc).toEqual(['body', 'phone'])
    }
    const extra = await http.post('/v1/privacy/erasures', { key: a.key, body: { phone: '+14155550123', phones: [] } })
    expect([extra.status, extra.body.detail[0].type]).toEqual([422, 'extra_forbidden'])
    const limited = await http.post('/v1/api-keys', { key: a.key, body: { label: 'no privacy', scopes: ['sessions:read', 'sessions:write', 'calls:read', 'calls:write'] } })
    expect(limited.status).toBe(200)
    for (const req of [http.post('/v1/privacy/erasures', { key: limited.body.api_key, body: { phone: '+14155550123' } }), http.get('/v1/privacy/erasures', { key: limited.body.api_key })]) {
      const r = await req
      expect([r.status, r.body.error.code, r.body.error.required_scope]).toEqual([403, 'insufficient_scope', 'privacy:write'])
    }
  })
})
