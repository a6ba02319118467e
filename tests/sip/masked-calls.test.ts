/**
 * Masked calls on the wire: SIPp phones → a real drachtio-server → call-control → drachtio → a
 * SIPp "trunk" standing for the other party, with the real identity, did, sessions, call-control
 * and gateway services on real NATS + PostgreSQL. Each test quotes SIPp's final statistics.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import type { ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { verifySignature } from '../../shared/webhook-signature'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { client, createTenant, type Client } from '../support/http'
import { uac, uacCancel, uacRefused, uas, uasNoAnswer, uasOriginate } from './scenarios'
import { freeUdpPort, invitesIn, runSipp, scenarioFile, startSipPlatform, warnIfSkipped, type Drachtio, type SipPlatform, type SippResult } from './support'

const skip = warnIfSkipped('tests/sip/masked-calls.test.ts')

const MASKED = '+12025550100'
const MASKED_IDLE = '+12025550101' // assigned, but no open session on it
const DRIVER = '+12025550111'
const CUSTOMER = '+12025550122'
const STRANGER = '+12025550199'
const RING_TIMEOUT_S = 2

let sip: SipPlatform
let tmp: SipPlatform['tmp']
let dr: Drachtio
let tp: SipPlatform['tp']
let http: Client
let trunkPort: number
let tenant: { tenantId: string; key: string; reply: { webhook_secret: string } }
let sessionId: string
let hooks: { got: { body: string; json: Record<string, unknown>; signature: string | null }[]; url: string; server: Server<undefined> }

/** Runs one exchange: an optional trunk-side UAS, then a UAC; returns both results and quotes them. */
async function exchange(name: string, o: { uasXml?: string; uasCalls?: number; uacXml?: string; dial?: string; localIp?: string }) {
  const uasRun = o.uasXml
    ? await runSipp({ scenario: scenarioFile(tmp.dir, `${name}-uas`, o.uasXml), name: `${name}-uas`, dir: tmp.dir, localPort: trunkPort, calls: o.uasCalls ?? 1 })
    : undefined
  if (uasRun) await Bun.sleep(300) // let the UAS bind before the call reaches the trunk
  let uacResult: SippResult | undefined
  if (o.uacXml) {
    const uacRun = await runSipp({
      scenario: scenarioFile(tmp.dir, `${name}-uac`, o.uacXml),
      name: `${name}-uac`,
      dir: tmp.dir,
      localIp: o.localIp,
      localPort: await freeUdpPort(o.localIp),
      remote: `127.0.0.1:${dr.sipPort}`,
      service: o.dial ?? MASKED,
    })
    uacResult = await uacRun.done
    console.log(`[sipp ${name} uac] exit ${uacResult.exitCode}\n${uacResult.summary}`)
  }
  const uasResult = await uasRun?.done
  if (uasResult) console.log(`[sipp ${name} uas] exit ${uasResult.exitCode}\n${uasResult.summary}`)
  return { uac: uacResult, uas: uasResult }
}

/** The session's newest call once it has ended (the record is written just after the wire). */
async function endedCall(after?: string) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const r = await http.get(`/v1/calls?session_id=${sessionId}&limit=1`, { key: tenant.key })
    const c = r.body.items?.[0]
    if (c && c.id !== after && c.ended_at) return (await http.get(`/v1/calls/${c.id}`, { key: tenant.key })).body
    if (Date.now() > deadline) throw new Error(`no ended call: ${JSON.stringify(r.body)}`)
    await Bun.sleep(50)
  }
}

async function lastCallId(): Promise<string | undefined> {
  const r = await http.get(`/v1/calls?session_id=${sessionId}&limit=1`, { key: tenant.key })
  return r.body.items?.[0]?.id
}

const userOf = (uri: string) => /^sips?:([^@;]+)/.exec(uri.replace(/^.*</, '').replace(/>.*$/, ''))?.[1]

describe.skipIf(skip)('masked calls through drachtio-server', () => {
  beforeAll(async () => {
    sip = await startSipPlatform('sip', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      // 127.0.0.2 (the "untrusted" UAC below) is deliberately left out of SIP_TRUSTED_SOURCES.
      RING_TIMEOUT_S: String(RING_TIMEOUT_S),
      CALLBACK_ALLOW_PRIVATE: 'true',
      DEFAULT_REGION: 'US',
    })
    ;({ tmp, dr, tp, trunkPort } = sip)
    http = client(tp.baseUrl)

    tenant = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    expect((await http.post('/admin/v1/dids', { bearer: tp.adminToken, body: { numbers: [MASKED, MASKED_IDLE] } })).status).toBe(200)
    const assign = async (n: string) => expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: tp.adminToken, body: { tenant_id: tenant.tenantId } })).status).toBe(200)
    // The session takes the tenant's only number; the second is assigned afterwards and stays idle.
    await assign(MASKED)
    const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, order_id: 'order-sip-1' } })
    expect(s.status).toBe(200)
    expect(s.body.masked_e164).toBe(MASKED)
    sessionId = s.body.id
    await assign(MASKED_IDLE)

    const got: typeof hooks.got = []
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(req) {
        const body = await req.text()
        got.push({ body, json: JSON.parse(body), signature: req.headers.get('x-masking-signature') })
        return new Response('ok')
      },
    })
    hooks = { got, url: `http://127.0.0.1:${server.port}/call-events`, server }
  }, 60_000)

  afterAll(async () => {
    hooks?.server.stop(true)
    await sip?.stop()
  }, 60_000)

  test('driver dials the masked number: the customer is rung from the masked number; the driver hangs up, both legs end', async () => {
    const before = await lastCallId()
    const r = await exchange('driver-to-customer', { uasXml: uas({ hangup: 'them' }), uacXml: uac({ from: DRIVER, holdMs: 1500, hangup: 'us' }) })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
    expect([r.uas!.exitCode, r.uas!.successful, r.uas!.failed]).toEqual([0, 1, 0])

    const [inv] = invitesIn(r.uas!.messages)
    expect(userOf(inv!.requestUri)).toBe(CUSTOMER)
    expect(userOf(inv!.headers.from!)).toBe(MASKED)
    expect(inv!.headers.from).not.toContain(DRIVER.slice(1)) // nothing of the driver's number leaks
    expect(Object.values(inv!.headers).join('\n')).not.toContain(DRIVER.slice(2))

    const call = await endedCall(before)
    expect(call).toMatchObject({
      session_id: sessionId,
      direction: 'inbound',
      status: 'completed',
      from_party: 'driver',
      to_party: 'customer',
      from_phone: DRIVER,
      to_phone: CUSTOMER,
      masked_e164: MASKED,
      end_reason: 'caller_hangup',
      bill_id: null,
    })
    // The callee answers at once and the caller holds 1.5 s: the record's times follow the
    // messages. Upper bounds leave room for a loaded machine (they catch a record timed by
    // something else, such as MAX_CALL_SECONDS); latency is the SIP benchmark's to measure.
    expect(Date.parse(call.answered_at) - Date.parse(call.created_at)).toBeLessThan(5000)
    expect(call.ringing_at).not.toBeNull()
    const heldMs = Date.parse(call.ended_at) - Date.parse(call.answered_at)
    expect(heldMs).toBeGreaterThan(1300)
    expect(heldMs).toBeLessThan(6500)
    expect(call.duration_seconds).toBe(Math.round(heldMs / 1000))
  }, 30_000)

  test('driver → customer, and the customer hangs up: the driver gets the BYE', async () => {
    const before = await lastCallId()
    const r = await exchange('customer-hangs-up', { uasXml: uas({ hangup: 'us', holdMs: 1000 }), uacXml: uac({ from: DRIVER, hangup: 'them' }) })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
    expect([r.uas!.exitCode, r.uas!.successful, r.uas!.failed]).toEqual([0, 1, 0])
    const call = await endedCall(before)
    expect(call).toMatchObject({ status: 'completed', from_party: 'driver', end_reason: 'callee_hangup', duration_seconds: 1 })
  }, 30_000)

  test('customer dials the masked number: the driver is rung from the masked number', async () => {
    const before = await lastCallId()
    const r = await exchange('customer-to-driver', { uasXml: uas({ hangup: 'us', holdMs: 800 }), uacXml: uac({ from: CUSTOMER, hangup: 'them' }) })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
    expect([r.uas!.exitCode, r.uas!.successful, r.uas!.failed]).toEqual([0, 1, 0])
    const [inv] = invitesIn(r.uas!.messages)
    expect(userOf(inv!.requestUri)).toBe(DRIVER)
    expect(userOf(inv!.headers.from!)).toBe(MASKED)
    const call = await endedCall(before)
    expect(call).toMatchObject({ from_party: 'customer', to_party: 'driver', from_phone: CUSTOMER, to_phone: DRIVER, status: 'completed', end_reason: 'callee_hangup' })
  }, 30_000)

  test('a national-format caller number is read with DEFAULT_REGION', async () => {
    const r = await exchange('national-format', { uasXml: uas({ hangup: 'them' }), uacXml: uac({ from: DRIVER.slice(2), holdMs: 300, hangup: 'us' }) })
    expect([r.uac!.successful, r.uas!.successful]).toEqual([1, 1])
  }, 30_000)

  test('an unknown caller is refused with 403 and nobody is rung', async () => {
    const before = await lastCallId()
    const r = await exchange('unknown-caller', { uacXml: uacRefused({ from: STRANGER, status: 403 }) })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
    expect(await lastCallId()).toBe(before) // no record: no call was placed
  }, 30_000)

  test('a masked number without an open session answers 404', async () => {
    const r = await exchange('no-session', { uacXml: uacRefused({ from: DRIVER, status: 404 }), dial: MASKED_IDLE })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
  }, 30_000)

  test('an INVITE from an untrusted source is refused with 403', async () => {
    const r = await exchange('untrusted-source', { uacXml: uacRefused({ from: DRIVER, status: 403 }), localIp: '127.0.0.2' })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
  }, 30_000)

  test('a callee that never answers is cancelled after RING_TIMEOUT_S; the caller hears 480', async () => {
    const before = await lastCallId()
    const r = await exchange('ring-timeout', { uasXml: uasNoAnswer(), uacXml: uacRefused({ from: DRIVER, status: 480 }) })
    expect([r.uac!.exitCode, r.uac!.successful]).toEqual([0, 1])
    expect([r.uas!.exitCode, r.uas!.successful]).toEqual([0, 1])
    const call = await endedCall(before)
    expect(call.status).toBe('no_answer')
    expect(call.end_reason).toBe('callee_ring_timeout (SIP 487 Request Terminated)')
    const rang = Date.parse(call.ended_at) - Date.parse(call.created_at)
    expect(rang).toBeGreaterThan(RING_TIMEOUT_S * 1000 - 100)
    expect(rang).toBeLessThan(RING_TIMEOUT_S * 1000 + 3000) // room for a loaded machine; unbounded, it would ring on
  }, 30_000)

  test('the caller gives up while the callee rings: CANCEL reaches the callee, record canceled', async () => {
    const before = await lastCallId()
    const r = await exchange('caller-cancels', { uasXml: uasNoAnswer(), uacXml: uacCancel({ from: DRIVER }) })
    expect([r.uac!.exitCode, r.uac!.successful, r.uac!.failed]).toEqual([0, 1, 0])
    expect([r.uas!.exitCode, r.uas!.successful, r.uas!.failed]).toEqual([0, 1, 0])
    const call = await endedCall(before)
    expect(call).toMatchObject({ status: 'canceled', answered_at: null, duration_seconds: 0 })
    expect(call.end_reason).toStartWith('caller_canceled')
    expect(call.ringing_at).not.toBeNull()
  }, 30_000)

  test('originate: both legs answer and are bridged; callbacks arrive in order with valid signatures', async () => {
    const uasRun = await runSipp({
      scenario: scenarioFile(tmp.dir, 'originate-uas', uasOriginate({ callee: 'answer', holdMs: 1200 })),
      name: 'originate-uas',
      dir: tmp.dir,
      localPort: trunkPort,
      calls: 2,
    })
    await Bun.sleep(300)
    const o = await http.post('/v1/calls/originate', {
      key: tenant.key,
      body: { session_id: sessionId, bill_id: 'bill-99', state_callback: hooks.url },
      headers: { 'idempotency-key': 'originate-1' },
    })
    expect(o.status).toBe(200)
    expect(o.body).toMatchObject({ session_id: sessionId, status: 'initiated', direction: 'originate', from_party: 'driver', to_party: 'customer', masked_e164: MASKED, bill_id: 'bill-99' })
    expect(o.body.call_id).toBe(o.body.id)
    // Same key, same body: the first answer again, and no second call.
    const again = await http.post('/v1/calls/originate', {
      key: tenant.key,
      body: { session_id: sessionId, bill_id: 'bill-99', state_callback: hooks.url },
      headers: { 'idempotency-key': 'originate-1' },
    })
    expect(again.body).toEqual(o.body)

    const res = await uasRun.done
    console.log(`[sipp originate uas] exit ${res.exitCode}\n${res.summary}`)
    expect([res.exitCode, res.successful, res.failed]).toEqual([0, 2, 0])
    const [first, second] = invitesIn(res.messages)
    expect(userOf(first!.requestUri)).toBe(DRIVER) // the caller party first, without SDP
    expect(first!.body.trim()).toBe('')
    expect(userOf(first!.headers.from!)).toBe(MASKED)
    expect(userOf(second!.requestUri)).toBe(CUSTOMER) // then the callee, with the caller's offer
    expect(second!.body).toContain('m=audio')
    expect(userOf(second!.headers.from!)).toBe(MASKED)

    const deadline = Date.now() + 10_000
    while (hooks.got.filter((h) => h.json.call_id === o.body.call_id).length < 4 && Date.now() < deadline) await Bun.sleep(50)
    const mine = hooks.got.filter((h) => h.json.call_id === o.body.call_id)
    expect(mine.map((h) => [h.json.sequence, h.json.event, h.json.status])).toEqual([
      [1, 'initiated', 'initiated'],
      [2, 'ringing', 'ringing'],
      [3, 'answered', 'answered'],
      [4, 'completed', 'completed'],
    ])
    for (const h of mine) expect(verifySignature(tenant.reply.webhook_secret, h.body, h.signature)).toBe(true)
    expect(mine[3]!.json).toMatchObject({ order_id: 'order-sip-1', bill_id: 'bill-99', direction: 'originate', duration_seconds: 1 })

    const call = (await http.get(`/v1/calls/${o.body.call_id}`, { key: tenant.key })).body
    expect(call).toMatchObject({ status: 'completed', from_phone: DRIVER, to_phone: CUSTOMER, end_reason: 'callee_hangup', duration_seconds: 1 })
    expect(call.callbacks.map((c: { status: string }) => c.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered'])
  }, 30_000)

  test('originate to a busy callee: record busy, and the answered first leg is released', async () => {
    const uasRun = await runSipp({
      scenario: scenarioFile(tmp.dir, 'originate-busy-uas', uasOriginate({ callee: 'busy' })),
      name: 'originate-busy-uas',
      dir: tmp.dir,
      localPort: trunkPort,
      calls: 2,
    })
    await Bun.sleep(300)
    const o = await http.post('/v1/calls/originate', { key: tenant.key, body: { session_id: sessionId, caller_id: 'customer', state_callback: hooks.url, state_callback_events: ['completed'] } })
    expect(o.status).toBe(200)
    expect(o.body).toMatchObject({ from_party: 'customer', to_party: 'driver' })
    const res = await uasRun.done
    console.log(`[sipp originate-busy uas] exit ${res.exitCode}\n${res.summary}`)
    // Both scenario calls complete: the busy leg got its ACK, the first leg its ACK and BYE.
    expect([res.exitCode, res.successful, res.failed]).toEqual([0, 2, 0])
    const deadline = Date.now() + 10_000
    let call
    do {
      call = (await http.get(`/v1/calls/${o.body.call_id}`, { key: tenant.key })).body
      if (call.ended_at) break
      await Bun.sleep(50)
    } while (Date.now() < deadline)
    expect(call).toMatchObject({ status: 'busy', end_reason: 'callee_busy (SIP 486 Busy Here)', duration_seconds: 0, answered_at: null })
    while (!hooks.got.some((h) => h.json.call_id === o.body.call_id) && Date.now() < deadline) await Bun.sleep(50)
    const mine = hooks.got.filter((h) => h.json.call_id === o.body.call_id)
    expect(mine.map((h) => [h.json.sequence, h.json.event, h.json.status])).toEqual([[1, 'completed', 'busy']])
  }, 30_000)

  test('originate on a closed session is a 409; on an unknown one, a 404', async () => {
    const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: '+12025550133', customer_phone: '+12025550144' } })
    expect(s.status).toBe(200)
    expect((await http.post(`/v1/sessions/${s.body.id}/complete`, { key: tenant.key })).status).toBe(200)
    const closed = await http.post('/v1/calls/originate', { key: tenant.key, body: { session_id: s.body.id } })
    expect([closed.status, closed.body.error.code]).toEqual([409, 'session_not_open'])
    const unknown = await http.post('/v1/calls/originate', { key: tenant.key, body: { session_id: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV' } })
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'session_not_found'])
  }, 30_000)
})
