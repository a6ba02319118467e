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
import { client, createTenant, type Client } from '../support/http'
import { startTestPlatform, type TestPlatform } from '../support/platform'
import { uac, uacRefused, uas } from './scenarios'
import { findDrachtio, freeUdpPort, runSipp, scenarioFile, startDrachtio, tempDir, warnIfSkipped, type Drachtio } from './support'

const skip = warnIfSkipped('tests/sip/drain.test.ts')

const MASKED = '+12025550300'
const DRIVER = '+12025550311'
const CUSTOMER = '+12025550322'
const DRAIN_S = 3

let tmp: ReturnType<typeof tempDir>
let dr: Drachtio
let tp: TestPlatform
let http: Client
let trunkPort: number
let key: string
let sessionId: string

describe.skipIf(skip)('call-control drains live calls on shutdown', () => {
  beforeAll(async () => {
    tmp = tempDir('sip-drain')
    dr = await startDrachtio(findDrachtio()!, tmp.dir)
    trunkPort = await freeUdpPort()
    tp = await startTestPlatform([identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(dr.adminPort),
      DRACHTIO_SECRET: dr.secret,
      SIP_OUTBOUND_TRUNK: `127.0.0.1:${trunkPort}`,
      SIP_TRUSTED_SOURCES: '127.0.0.1/32',
      SIP_DRAIN_TIMEOUT_S: String(DRAIN_S),
    })
    http = client(tp.baseUrl)
    const cc = tp.platform.running.get('call-control') as RunningService
    const deadline = Date.now() + 10_000
    while (!(await cc.ready!()).sip) {
      if (Date.now() > deadline) throw new Error('call-control did not connect to drachtio')
      await Bun.sleep(50)
    }
    const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    key = t.key
    expect((await http.post('/admin/v1/dids', { bearer: tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
    expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: tp.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const created = await http.post('/v1/sessions', { key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })
    expect(created.status).toBe(200)
    sessionId = created.body.id
  }, 60_000)

  afterAll(async () => {
    await tp?.stop()
    await dr?.stop()
    tmp?.remove()
  }, 60_000)

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

    const cc = tp.platform.running.get('call-control') as RunningService
    const started = performance.now()
    const stopped = cc.stop()
    await Bun.sleep(100)
    const refused = await (await sipp('drain-refused', uacRefused({ from: DRIVER, status: 503 }))).done
    console.log(`[sipp drain-refused uac] exit ${refused.exitCode}\n${refused.summary}`)
    expect([refused.exitCode, refused.successful, refused.failed]).toEqual([0, 1, 0])
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
  }, 60_000)
})
