/**
 * A trunk as a real carrier runs it, through a real drachtio-server: it challenges our INVITEs
 * with 407 (digest, SIP_OUTBOUND_USERNAME / SIP_OUTBOUND_PASSWORD), and per-tenant call limits
 * refuse calls past them with 486 and count them in sip_calls_limited_total. Without
 * credentials a challenge fails the call cleanly: the caller hears 503, never a bare 407.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/trunk.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { registry } from '../../shared/metrics'
import { client, createTenant, type Client } from '../support/http'
import { metricValue } from '../support/metrics'
import { uac, uacRefused, uas, uasChallengeOnly, uasChallenging } from './scenarios'
import { freeUdpPort, invitesIn, runSipp, scenarioFile, startSipPlatform, warnIfSkipped, type SipPlatform, type SippResult } from './support'

const skip = warnIfSkipped('tests/sip/trunk.test.ts')

const MASKED = '+12025550500'
const DRIVER = '+12025550511'
const CUSTOMER = '+12025550522'
const SERVICES = [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[]

async function platformWithSession(label: string, env: Record<string, string>) {
  const sip = await startSipPlatform(label, SERVICES, env)
  const http = client(sip.tp.baseUrl)
  const tenant = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
  expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
  expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: tenant.tenantId } })).status).toBe(200)
  const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })
  expect(s.status).toBe(200)
  return { sip, http, tenant, sessionId: s.body.id as string }
}

function sippOn(sip: SipPlatform) {
  return async (name: string, xml: string, o: { uas?: boolean; calls?: number } = {}) =>
    runSipp({
      scenario: scenarioFile(sip.tmp.dir, name, xml),
      name,
      dir: sip.tmp.dir,
      localPort: o.uas ? sip.trunkPort : await freeUdpPort(),
      remote: o.uas ? undefined : `127.0.0.1:${sip.dr.sipPort}`,
      service: o.uas ? undefined : MASKED,
      calls: o.calls ?? 1,
    })
}

const ok = (r: SippResult | undefined, calls = 1) => expect([r?.exitCode, r?.successful, r?.failed]).toEqual([0, calls, 0])
const quote = (name: string, r: SippResult) => console.log(`[sipp ${name}] exit ${r.exitCode}\n${r.summary}`)

describe.skipIf(skip)('a trunk that challenges, with credentials; per-tenant call limits', () => {
  let p: Awaited<ReturnType<typeof platformWithSession>>
  beforeAll(async () => {
    p = await platformWithSession('sip-trunk-auth', {
      SIP_OUTBOUND_USERNAME: 'masking-trunk',
      SIP_OUTBOUND_PASSWORD: 'trunk-pass-1',
      TENANT_MAX_CONCURRENT_CALLS: '1',
      TENANT_MAX_CALLS_PER_MINUTE: '3',
    })
  }, 60_000)
  afterAll(() => p?.sip.stop(), 60_000)

  test('the 407 is answered with the credentials and the call completes', async () => {
    const sipp = sippOn(p.sip)
    const trunk = await sipp('auth-uas', uasChallenging({ realm: 'carrier.example' }), { uas: true })
    await Bun.sleep(300)
    const phone = await (await sipp('auth-uac', uac({ from: DRIVER, holdMs: 300, hangup: 'us' }))).done
    const far = await trunk.done
    quote('auth uac', phone)
    quote('auth uas', far)
    ok(phone)
    ok(far)
    const [first, second] = invitesIn(far.messages)
    expect(first!.headers['proxy-authorization']).toBeUndefined()
    expect(second!.headers['proxy-authorization']).toContain('username="masking-trunk"')
    expect(second!.headers['proxy-authorization']).toContain('realm="carrier.example"')
    expect(second!.headers['proxy-authorization']).not.toContain('trunk-pass-1') // a digest, not the password
  }, 30_000)

  test('past the concurrent-call limit a call gets 486 and is counted; past calls per minute too', async () => {
    const sipp = sippOn(p.sip)
    const limited = (limit: string) => metricValue(m, 'sip_calls_limited_total', { direction: 'inbound', limit })
    let m = await registry.metrics()
    const before = { concurrent: limited('concurrent_calls'), perMinute: limited('calls_per_minute') }
    // Call 2 of the minute holds the only concurrent slot while a third caller tries.
    const trunk = await sipp('limit-uas', uas({ hangup: 'them' }), { uas: true })
    await Bun.sleep(300)
    const holding = await sipp('limit-holding', uac({ from: DRIVER, holdMs: 2500, hangup: 'us' }))
    const deadline = Date.now() + 5000
    while ((await p.http.get('/v1/calls?status=answered', { key: p.tenant.key })).body.total < 1) {
      if (Date.now() > deadline) throw new Error('the first call was not answered')
      await Bun.sleep(50)
    }
    const refused = await (await sipp('limit-refused', uacRefused({ from: CUSTOMER, status: 486 }))).done
    quote('limit refused', refused)
    ok(refused)
    ok(await holding.done)
    ok(await trunk.done)
    m = await registry.metrics()
    expect(limited('concurrent_calls') - before.concurrent).toBe(1)

    // Call 3 of the minute is taken; call 4 is over TENANT_MAX_CALLS_PER_MINUTE.
    const trunk3 = await sipp('limit-uas-3', uas({ hangup: 'them' }), { uas: true })
    await Bun.sleep(300)
    ok(await (await sipp('limit-third', uac({ from: DRIVER, holdMs: 200, hangup: 'us' }))).done)
    ok(await trunk3.done)
    ok(await (await sipp('limit-fourth', uacRefused({ from: DRIVER, status: 486 }))).done)
    m = await registry.metrics()
    expect(limited('calls_per_minute') - before.perMinute).toBe(1)
    // Originate is held to the same limits: 429.
    const o = await p.http.post('/v1/calls/originate', { key: p.tenant.key, body: { session_id: p.sessionId } })
    expect([o.status, o.body.error.code, o.body.error.limit]).toEqual([429, 'call_limit_exceeded', 'calls_per_minute'])
  }, 60_000)
})

describe.skipIf(skip)('a trunk that challenges, without credentials', () => {
  let p: Awaited<ReturnType<typeof platformWithSession>>
  beforeAll(async () => {
    p = await platformWithSession('sip-trunk-noauth', {})
  }, 60_000)
  afterAll(() => p?.sip.stop(), 60_000)

  test('the call fails cleanly: the caller hears 503 (no bare 407), the record says why', async () => {
    const sipp = sippOn(p.sip)
    const trunk = await sipp('noauth-uas', uasChallengeOnly({ realm: 'carrier.example' }), { uas: true })
    await Bun.sleep(300)
    const phone = await (await sipp('noauth-uac', uacRefused({ from: DRIVER, status: 503 }))).done
    quote('noauth uac', phone)
    ok(phone)
    ok(await trunk.done)
    expect(phone.messages).not.toContain('407')
    expect(phone.messages).not.toContain('Proxy-Authenticate')
    const deadline = Date.now() + 5000
    let call
    do {
      call = (await p.http.get(`/v1/calls?session_id=${p.sessionId}&limit=1`, { key: p.tenant.key })).body.items[0]
      if (call?.ended_at) break
      await Bun.sleep(50)
    } while (Date.now() < deadline)
    expect(call).toMatchObject({ status: 'failed', end_reason: 'trunk_auth_failed (SIP 407 Proxy Authentication Required)' })
  }, 30_000)
})
