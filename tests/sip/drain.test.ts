/**
 * call-control draining (shutdown) with live calls, through a real drachtio-server and SIPp: it
 * stops taking calls at once (a new INVITE gets 503, originate goes elsewhere), a live call that
 * ends by itself within SIP_DRAIN_TIMEOUT_S is left alone, and one still up at the bound is hung
 * up on both sides with its record closed as `shutdown`.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/drain.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { RunningService, ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { registry } from '../../shared/metrics'
import { client, createTenant, type Client } from '../support/http'
import { metricValue } from '../support/metrics'
import { optionsPing, uac, uacRefused, uas } from './scenarios'
import { freeUdpPort, runSipp, scenarioFile, startSipPlatform, warnIfSkipped, type Drachtio, type SipPlatform } from './support'

const skip = warnIfSkipped('tests/sip/drain.test.ts')

const MASKED = '+12025550300'
const DRIVER = '+12025550311'
const CUSTOMER = '+12025550322'
const DRAIN_S = 3

let sip: SipPlatform
let tmp: SipPlatform['tmp']
let dr: Drachtio
let tp: SipPlatform['tp']
let http: Client
let trunkPort: number
let key: string
let sessionId: string

describe.skipIf(skip)('call-control drains live calls on shutdown', () => {
  beforeAll(async () => {
    sip = await startSipPlatform('sip-drain', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      SIP_DRAIN_TIMEOUT_S: String(DRAIN_S),
    })
    ;({ tmp, dr, tp, trunkPort } = sip)
    http = client(tp.baseUrl)
    const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    key = t.key
    expect((await http.post('/admin/v1/dids', { bearer: tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
    expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: tp.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const created = await http.post('/v1/sessions', { key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })
    expect(created.status).toBe(200)
    sessionId = created.body.id
  }, 60_000)

  afterAll(() => sip?.stop(), 60_000)

  test('new calls are refused with 503; a short call ends by itself; a long one is cut at the bound on both sides', async () => {
    const callsWith = async (status: string) => (await http.get(`/v1/calls?status=${status}&limit=10`, { key })).body
    const sipp = async (name: string, xml: string, o: { uas?: boolean; calls?: number } = {}) =>
      runSipp({
        scenario: scenarioFile(tmp.dir, name, xml),
        name,
        dir: tmp.dir,
        localPort: o.uas ? trunkPort : await freeUdpPort(),
        remote: o.uas ? undefined : `127.0.0.1:${dr.sipPort}`,
        service: o.uas ? undefined : MASKED,
        calls: o.calls ?? 1,
      })

    const m0 = await registry.metrics()
    // The trunk answers both calls and waits for the platform's BYE (relayed, or its own at the cut).
    const trunk = await sipp('drain-trunk', uas({ hangup: 'them' }), { uas: true, calls: 2 })
    await Bun.sleep(300)
    const short = await sipp('drain-short', uac({ from: DRIVER, holdMs: 1500, hangup: 'us' }))
    const long = await sipp('drain-long', uac({ from: CUSTOMER, hangup: 'them' }))
    const deadline = Date.now() + 10_000
    while ((await callsWith('answered')).total < 2) {
      if (Date.now() > deadline) throw new Error('the two calls were not answered')
      await Bun.sleep(50)
    }

    const m1 = await registry.metrics()
    expect(metricValue(m1, 'sip_live_calls')).toBe(2)
    const cc = tp.platform.running.get('call-control') as RunningService
    const started = performance.now()
    const stopped = cc.stop()
    await Bun.sleep(100)
    const refused = await (await sipp('drain-refused', uacRefused({ from: DRIVER, status: 503 }))).done
    console.log(`[sipp drain-refused uac] exit ${refused.exitCode}\n${refused.summary}`)
    expect([refused.exitCode, refused.successful, refused.failed]).toEqual([0, 1, 0])
    // The carrier's health check says the same, so it routes new calls elsewhere.
    const probe = await (await sipp('drain-options', optionsPing({ status: 503 }))).done
    expect([probe.exitCode, probe.successful, probe.failed]).toEqual([0, 1, 0])
    // Originate requests are no longer taken here: this instance left the queue group (with no
    // other call-control instance, nobody answers: 503).
    const originate = await http.post('/v1/calls/originate', { key, body: { session_id: sessionId } })
    expect(originate.status).toBe(503)
    expect(originate.body.error.code).toBe('service_unavailable')

    await stopped
    const stopSeconds = (performance.now() - started) / 1000
    const [s, l, tr] = [await short.done, await long.done, await trunk.done]
    for (const [name, r] of [['short uac', s], ['long uac', l], ['trunk uas', tr]] as const) console.log(`[sipp drain ${name}] exit ${r.exitCode}\n${r.summary}`)
    expect([s.exitCode, s.successful, s.failed]).toEqual([0, 1, 0]) // hung up itself, BYE answered
    expect([l.exitCode, l.successful, l.failed]).toEqual([0, 1, 0]) // got the platform's BYE
    expect([tr.exitCode, tr.successful, tr.failed]).toEqual([0, 2, 0]) // both far legs got BYE
    // The stop waited for the bound (the long call), not longer.
    expect(stopSeconds).toBeGreaterThanOrEqual(DRAIN_S - 0.2)
    expect(stopSeconds).toBeLessThan(DRAIN_S + 3)

    const done = (await callsWith('completed')).items as { from_phone: string; end_reason: string; duration_seconds: number }[]
    expect(done).toHaveLength(2)
    expect(done.find((c) => c.from_phone === DRIVER)?.end_reason).toBe('caller_hangup')
    expect(done.find((c) => c.from_phone === CUSTOMER)?.end_reason).toBe('shutdown')
    expect((await callsWith('answered')).total).toBe(0)

    // /metrics saw it all: two bridged, one refused while draining, none live at the end.
    const m2 = await registry.metrics()
    const calls = (text: string, outcome: string) => metricValue(text, 'sip_calls_total', { direction: 'inbound', outcome })
    expect(calls(m2, 'bridged') - calls(m0, 'bridged')).toBe(2)
    expect(calls(m2, '503') - calls(m0, '503')).toBe(1)
    expect(metricValue(m2, 'sip_live_calls')).toBe(0)
  }, 60_000)
})
