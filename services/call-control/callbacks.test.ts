/**
 * State callbacks end to end without SIP, on real NATS + PostgreSQL: calls are recorded through
 * the service's own recorder (what a call session does), the service's worker delivers to a real
 * HTTP receiver on 127.0.0.1, signed with the tenant's secret from identity. SIP-driven callbacks
 * are covered by tests/sip/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import type { Server } from 'bun'
import { createLogger } from '../../shared/log'
import type { ServiceDefinition } from '../../shared/service'
import { newId } from '../../shared/ids'
import { client, createTenant, type Client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { gatewayService } from '../gateway/service'
import { identityService } from '../identity/service'
import { CallRecorder, type RecorderDeps } from './call-recorder'
import { CallWriter } from './call-writer'
import { registry } from '../../shared/metrics'
import { metricValue } from '../../tests/support/metrics'
import { verifySignature } from '../../shared/webhook-signature'
import { CallbackWorker } from './callbacks/worker'
import { callControlService } from './service'

interface Received {
  body: string
  json: Record<string, unknown>
  signature: string | null
  host: string | null
  at: number
}

/** A webhook receiver on 127.0.0.1 whose answers the test scripts per call. */
function receiver() {
  const got: Received[] = []
  const plan = new Map<string, number[]>() // call_id → statuses to answer, in order
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = await req.text()
      const json = JSON.parse(body) as Record<string, unknown>
      got.push({ body, json, signature: req.headers.get('x-masking-signature'), host: req.headers.get('host'), at: Date.now() })
      const statuses = plan.get(String(json.call_id))
      const status = statuses?.shift() ?? 200
      return new Response(status === 200 ? 'ok' : 'nope', { status })
    },
  })
  return { got, plan, url: `http://127.0.0.1:${server.port}/hooks`, stop: () => server.stop(true) }
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}

let tp: TestPlatform
let http: Client
let rx: ReturnType<typeof receiver>
let deps: RecorderDeps
let tenant: { tenantId: string; key: string; reply: { webhook_secret: string } }

beforeAll(async () => {
  tp = await startTestPlatform([identityService, callControlService, gatewayService] as unknown as ServiceDefinition[], { CALLBACK_ALLOW_PRIVATE: 'true' })
  http = client(tp.baseUrl)
  rx = receiver()
  tenant = await createTenant(http, tp.adminToken)
  const log = createLogger({ level: 'silent' })
  // The service's worker finds the rows by polling; no nudge from this writer.
  deps = { db: tp.platform.database.db, bus: tp.platform.bus, log, writer: new CallWriter(tp.platform.database.db, log) }
})
afterAll(async () => {
  rx?.stop()
  await tp?.stop()
})

/** Records an originate-style call with a callback, the way the call session does. */
async function recordCall(opts: { url: string; events?: string[] | null; tenantId?: string }) {
  return CallRecorder.create(deps, {
    id: newId('call'),
    tenantId: opts.tenantId ?? tenant.tenantId,
    sessionId: newId('ses'),
    orderId: 'order-42',
    direction: 'originate',
    status: 'initiated',
    fromParty: 'driver',
    toParty: 'customer',
    fromPhone: '+12025550111',
    toPhone: '+12025550122',
    maskedE164: '+12025550100',
    billId: 'bill-7',
    stateCallback: opts.url,
    stateCallbackEvents: opts.events ?? null,
  })
}

/** callback_attempts_total by outcome, from this process's /metrics registry. */
async function attemptsByOutcome(): Promise<Record<'delivered' | 'retry' | 'failed', number>> {
  const text = await registry.metrics()
  return {
    delivered: metricValue(text, 'callback_attempts_total', { outcome: 'delivered' }),
    retry: metricValue(text, 'callback_attempts_total', { outcome: 'retry' }),
    failed: metricValue(text, 'callback_attempts_total', { outcome: 'failed' }),
  }
}

const forCall = (id: string) => rx.got.filter((r) => r.json.call_id === id)

describe('state callbacks', () => {
  test('a failure then success: retried after the backoff, delivered once, in order, each signed', async () => {
    const attempts0 = await attemptsByOutcome()
    const rec = await recordCall({ url: rx.url })
    rx.plan.set(rec.id, [500]) // the first POST (initiated) fails
    rec.ringing()
    rec.answered()
    rec.ended('completed', 'callee_hangup')
    await rec.flushed()

    // The first attempt fails; the later events wait behind it (per-call order).
    await until('the first attempt', () => forCall(rec.id).length === 1 || undefined)
    // The receiver sees the POST before the worker records its outcome: wait for the record.
    const row = await until('the first attempt recorded', async () => {
      const [r] = await tp.platform.database.rows<{ status: string; attempts: number; wait_s: number; last_status_code: number }>(sql`
        select status, attempts, last_status_code, extract(epoch from next_attempt_at - now())::float as wait_s
        from calls.callback_deliveries where call_id = ${rec.id} and sequence = 1`)
      return r && r.attempts > 0 ? r : undefined
    })
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 })
    expect(row!.wait_s).toBeGreaterThan(7) // ~10 s ± 10%
    expect(row!.wait_s).toBeLessThan(12)
    await Bun.sleep(1500) // a poll or two: nothing else may go out meanwhile
    expect(forCall(rec.id)).toHaveLength(1)

    // Skip the wait rather than sleep 10 s.
    await tp.platform.database.rows(sql`update calls.callback_deliveries set next_attempt_at = now() where call_id = ${rec.id} and sequence = 1`)
    const got = await until('all four events', () => (forCall(rec.id).length >= 5 ? forCall(rec.id) : undefined))
    await Bun.sleep(1200)
    expect(forCall(rec.id)).toHaveLength(5) // 1 failed + 4 delivered, nothing twice

    const delivered = got.slice(1)
    expect(delivered.map((r) => [r.json.sequence, r.json.event, r.json.status])).toEqual([
      [1, 'initiated', 'initiated'],
      [2, 'ringing', 'ringing'],
      [3, 'answered', 'answered'],
      [4, 'completed', 'completed'],
    ])
    expect(got[0]!.json.event_id).toBe(got[1]!.json.event_id) // a retry is the same event
    for (const r of got) expect(verifySignature(tenant.reply.webhook_secret, r.body, r.signature)).toBe(true)
    expect(Object.keys(delivered[3]!.json)).toEqual([
      'event_id',
      'event',
      'sequence',
      'occurred_at',
      'call_id',
      'session_id',
      'order_id',
      'bill_id',
      'status',
      'direction',
      'from_party',
      'to_party',
      'masked_e164',
      'duration_seconds',
    ])
    expect(delivered[3]!.json).toMatchObject({ order_id: 'order-42', bill_id: 'bill-7', direction: 'originate', from_party: 'driver', masked_e164: '+12025550100', duration_seconds: 0 })

    // The attempts are readable with the call record.
    const call = await http.get(`/v1/calls/${rec.id}`, { key: tenant.key })
    expect(call.status).toBe(200)
    expect(call.body.status).toBe('completed')
    expect(call.body.end_reason).toBe('callee_hangup')
    const cbs = call.body.callbacks as { sequence: number; status: string; attempts: number; attempt_log: { status_code: number }[] }[]
    expect(cbs.map((c) => [c.sequence, c.status, c.attempts])).toEqual([
      [1, 'delivered', 2],
      [2, 'delivered', 1],
      [3, 'delivered', 1],
      [4, 'delivered', 1],
    ])
    expect(cbs[0]!.attempt_log.map((a) => a.status_code)).toEqual([500, 200])
    // And /metrics counted them by outcome.
    const attempts1 = await attemptsByOutcome()
    expect([attempts1.retry - attempts0.retry, attempts1.delivered - attempts0.delivered]).toEqual([1, 4])
  }, 30_000)

  test('a named host is resolved and the checked address is used (refused addresses are skipped)', async () => {
    // "localhost" may resolve to ::1 first while the receiver listens on 127.0.0.1 only.
    const named = rx.url.replace('127.0.0.1', 'localhost')
    const rec = await recordCall({ url: named, events: ['initiated'] })
    const [r] = await until('delivery by name', () => (forCall(rec.id).length ? forCall(rec.id) : undefined))
    expect(r!.json.event).toBe('initiated')
    expect(r!.host).toBe(new URL(named).host) // the Host header keeps the name
  })

  test('only the selected events are sent, numbered 1, 2, …', async () => {
    const rec = await recordCall({ url: rx.url, events: ['answered', 'completed'] })
    rec.ringing()
    rec.answered()
    rec.ended('completed', 'caller_hangup')
    await rec.flushed()
    const got = await until('two events', () => (forCall(rec.id).length >= 2 ? forCall(rec.id) : undefined))
    expect(got.map((r) => [r.json.sequence, r.json.event])).toEqual([
      [1, 'answered'],
      [2, 'completed'],
    ])
  })

  test('an end state other than completed is reported as the completed event with its status', async () => {
    const rec = await recordCall({ url: rx.url, events: ['completed'] })
    rec.ringing()
    rec.ended('busy', 'callee_busy (SIP 486 Busy Here)')
    await rec.flushed()
    const [r] = await until('the completed event', () => (forCall(rec.id).length ? forCall(rec.id) : undefined))
    expect(r!.json).toMatchObject({ event: 'completed', status: 'busy', sequence: 1, duration_seconds: 0 })
  })

  test('a rotated secret signs the next callbacks, beside the previous one for its grace period; secrets are sealed at rest', async () => {
    const t = await createTenant(http, tp.adminToken)
    const read = await http.get('/v1/webhook-secret', { key: t.key })
    expect(read.status).toBe(200)
    expect(read.body).toEqual({ tenant_id: t.tenantId, webhook_secret: t.reply.webhook_secret, previous_webhook_secret: null, previous_expires_at: null })
    const first = await recordCall({ url: rx.url, events: ['initiated'], tenantId: t.tenantId })
    const [a] = await until('first callback', () => (forCall(first.id).length ? forCall(first.id) : undefined))
    expect(verifySignature(t.reply.webhook_secret, a!.body, a!.signature)).toBe(true)
    expect(a!.signature!.match(/v1=/g)).toHaveLength(1)

    // A retried rotation (same Idempotency-Key) rotates once.
    const opts = { key: t.key, headers: { 'idempotency-key': `rot-${t.tenantId}` } }
    const rotated = await http.post('/v1/webhook-secret/rotate', opts)
    expect(rotated.status).toBe(200)
    expect(rotated.body.webhook_secret).not.toBe(t.reply.webhook_secret)
    expect(rotated.body.webhook_secret).toStartWith('whsec_')
    expect(rotated.body.previous_webhook_secret).toBe(t.reply.webhook_secret)
    const hoursLeft = (Date.parse(rotated.body.previous_expires_at) - Date.now()) / 3_600_000
    expect(hoursLeft).toBeGreaterThan(23.9)
    expect(hoursLeft).toBeLessThanOrEqual(24)
    const replay = await http.post('/v1/webhook-secret/rotate', opts)
    expect(replay.body).toEqual(rotated.body)

    // Neither secret is stored in plaintext, anywhere in identity's schema.
    const dump = JSON.stringify(await tp.platform.database.rows(sql`select t.*, (select json_agg(i) from identity.idempotency_keys i) as idem from identity.tenants t where t.id = ${t.tenantId}`))
    expect(dump).not.toContain(t.reply.webhook_secret)
    expect(dump).not.toContain(rotated.body.webhook_secret)

    // Callbacks after the rotation carry a signature with each secret, so either verifies.
    await until('the rotation reaches call-control', async () => {
      const probe = await recordCall({ url: rx.url, events: ['initiated'], tenantId: t.tenantId })
      const [p] = await until('probe callback', () => (forCall(probe.id).length ? forCall(probe.id) : undefined))
      return verifySignature(rotated.body.webhook_secret, p!.body, p!.signature) || undefined
    })
    const second = await recordCall({ url: rx.url, events: ['initiated'], tenantId: t.tenantId })
    const [b] = await until('second callback', () => (forCall(second.id).length ? forCall(second.id) : undefined))
    expect(verifySignature(rotated.body.webhook_secret, b!.body, b!.signature)).toBe(true)
    expect(verifySignature(t.reply.webhook_secret, b!.body, b!.signature)).toBe(true)
    expect(verifySignature('whsec_someone_else', b!.body, b!.signature)).toBe(false)
    expect(b!.signature!.match(/v1=/g)).toHaveLength(2)

    // Reading or rotating the secret takes keys:manage.
    const narrow = await http.post('/v1/api-keys', { key: t.key, body: { scopes: ['calls:read', 'calls:write'] } })
    expect(narrow.status).toBe(200)
    const denied = await http.get('/v1/webhook-secret', { key: narrow.body.api_key })
    expect([denied.status, denied.body.error.code]).toEqual([403, 'insufficient_scope'])
    expect((await http.post('/v1/webhook-secret/rotate', { key: narrow.body.api_key })).status).toBe(403)
  })

  test('a receiver that never answers 2xx is given up after its attempts', async () => {
    const attempts0 = await attemptsByOutcome()
    const rec = await recordCall({ url: rx.url, events: ['initiated'] })
    rx.plan.set(rec.id, Array(20).fill(503))
    // An attempt counts once the worker has recorded it (and set its backoff): making the row due
    // before that would be overwritten by the recorded backoff.
    const recorded = async (n: number) => {
      const rows = await tp.platform.database.rows<{ attempts: number }>(sql`select attempts from calls.callback_deliveries where call_id = ${rec.id}`)
      return rows[0]?.attempts === n || undefined
    }
    await until('first attempt', () => recorded(1))
    // Play out the schedule: each retry made due at once.
    for (let i = 2; i <= 10; i++) {
      await tp.platform.database.rows(sql`update calls.callback_deliveries set next_attempt_at = now() where call_id = ${rec.id} and status = 'pending'`)
      await until(`attempt ${i}`, () => recorded(i))
    }
    expect(forCall(rec.id)).toHaveLength(10)
    const [row] = await until('given up', async () => {
      const rows = await tp.platform.database.rows<{ status: string; attempts: number }>(sql`select status, attempts from calls.callback_deliveries where call_id = ${rec.id}`)
      return rows[0]?.status === 'failed' ? rows : undefined
    })
    expect(row).toEqual({ status: 'failed', attempts: 10 })
    const attempts1 = await attemptsByOutcome()
    expect([attempts1.retry - attempts0.retry, attempts1.failed - attempts0.failed]).toEqual([9, 1])
  }, 60_000)

  test('workers racing on the same outbox deliver each event once, each call in order', async () => {
    // Two more workers beside the service's own, on the same table (as other instances would be).
    const secrets = { get: async () => [tenant.reply.webhook_secret as string] }
    const extra = [1, 2].map(() => new CallbackWorker({ database: tp.platform.database, secrets, log: deps.log, allowPrivate: true, pollMs: 20 }))
    for (const w of extra) w.start()
    try {
      const recs = await Promise.all(Array.from({ length: 40 }, () => recordCall({ url: rx.url })))
      for (const r of recs) {
        r.ringing()
        r.answered()
        r.ended('completed', 'caller_hangup')
      }
      await Promise.all(recs.map((r) => r.flushed()))
      const ids = new Set(recs.map((r) => r.id))
      await until('160 deliveries', () => (rx.got.filter((g) => ids.has(String(g.json.call_id))).length >= 160 ? true : undefined), 20_000)
      await Bun.sleep(500)
      const got = rx.got.filter((g) => ids.has(String(g.json.call_id)))
      expect(got).toHaveLength(160)
      expect(new Set(got.map((g) => g.json.event_id)).size).toBe(160)
      for (const r of recs) expect(forCall(r.id).map((g) => g.json.sequence)).toEqual([1, 2, 3, 4])
    } finally {
      await Promise.all(extra.map((w) => w.stop()))
    }
  }, 30_000)

  test('the call list filters by session and status', async () => {
    const rec = await recordCall({ url: rx.url, events: [] })
    rec.ended('no_answer', 'callee_ring_timeout')
    await rec.flushed()
    const bySession = await http.get(`/v1/calls?session_id=${rec.record.session_id}`, { key: tenant.key })
    expect(bySession.status).toBe(200)
    expect(bySession.body.total).toBe(1)
    expect(bySession.body.items[0]).toMatchObject({ id: rec.id, status: 'no_answer', duration_seconds: 0 })
    const byStatus = await http.get('/v1/calls?status=no_answer&limit=500', { key: tenant.key })
    expect(byStatus.body.items.map((c: { id: string }) => c.id)).toContain(rec.id)
    const bad = await http.get('/v1/calls?status=bogus', { key: tenant.key })
    expect(bad.status).toBe(422)
    const other = await createTenant(http, tp.adminToken)
    expect((await http.get(`/v1/calls/${rec.id}`, { key: other.key })).status).toBe(404)
  })
})

describe('SSRF guard at the API and at delivery', () => {
  let strict: TestPlatform
  let shttp: Client
  beforeAll(async () => {
    strict = await startTestPlatform([identityService, callControlService, gatewayService] as unknown as ServiceDefinition[], { CALLBACK_ALLOW_PRIVATE: 'false' })
    shttp = client(strict.baseUrl)
  })
  afterAll(() => strict?.stop())

  test('originate refuses a callback URL on a private address (422 callback_url_refused)', async () => {
    const t = await createTenant(shttp, strict.adminToken)
    for (const url of [rx.url, 'http://localhost:9/cb', 'http://10.1.2.3/cb', 'http://[::1]:8080/cb', 'http://169.254.169.254/latest/meta-data']) {
      const r = await shttp.post('/v1/calls/originate', { key: t.key, body: { session_id: 'ses_x', state_callback: url } })
      expect([url, r.status, r.body.error?.code]).toEqual([url, 422, 'callback_url_refused'])
    }
    const shape = await shttp.post('/v1/calls/originate', { key: t.key, body: { session_id: 'ses_x', state_callback: 'ftp://example.com/x' } })
    expect(shape.status).toBe(422)
    expect(shape.body.detail[0].loc).toEqual(['body', 'state_callback'])
    const events = await shttp.post('/v1/calls/originate', { key: t.key, body: { session_id: 'ses_x', state_callback_events: ['answered', 'hung_up'] } })
    expect(events.status).toBe(422)
    expect(events.body.detail[0].loc).toEqual(['body', 'state_callback_events', 1])
  })

  test('a queued callback whose URL resolves to a private address is refused at delivery, not sent', async () => {
    const t = await createTenant(shttp, strict.adminToken)
    const sdeps = { ...deps, db: strict.platform.database.db, bus: strict.platform.bus, writer: new CallWriter(strict.platform.database.db, deps.log) }
    const before = rx.got.length
    const rec = await CallRecorder.create(sdeps, {
      id: newId('call'),
      tenantId: t.tenantId,
      sessionId: newId('ses'),
      direction: 'originate',
      status: 'initiated',
      fromParty: 'driver',
      toParty: 'customer',
      fromPhone: '+12025550111',
      toPhone: '+12025550122',
      maskedE164: '+12025550100',
      stateCallback: rx.url,
    })
    const [row] = await until('refused', async () => {
      const rows = await strict.platform.database.rows<{ status: string; attempts: number; last_error: string }>(
        sql`select status, attempts, last_error from calls.callback_deliveries where call_id = ${rec.id}`,
      )
      return rows[0]?.status === 'failed' ? rows : undefined
    })
    expect(row!.attempts).toBe(1)
    expect(row!.last_error).toBe('127.0.0.1 is a loopback address; callbacks to private networks are refused')
    expect(rx.got.length).toBe(before)
  })

  test('without SIP, originate of a sound request answers 503 sip_unavailable', async () => {
    const t = await createTenant(shttp, strict.adminToken)
    const r = await shttp.post('/v1/calls/originate', { key: t.key, body: { session_id: 'ses_x' } })
    expect(r.status).toBe(503)
    expect(r.body.error.code).toBe('sip_unavailable')
    const health = await shttp.get('/health')
    expect(health.body.services.call_control).toBe('ok')
  })
})
