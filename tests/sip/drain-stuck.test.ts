/**
 * Shutdown with a leg stuck ringing: the callee rings, then ignores our CANCEL for good (no 200,
 * no 487). The drain is still bounded: call-control stops within SIP_DRAIN_TIMEOUT_S plus the
 * shutdown grace, the caller hears 503 and the record is closed as a shutdown failure.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/drain-stuck.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { RunningService, ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { client, createTenant } from '../support/http'
import { uacRefused, uasStuckRinging } from './scenarios'
import { freeUdpPort, runSipp, scenarioFile, startSipPlatform, warnIfSkipped, type SipPlatform } from './support'

const skip = warnIfSkipped('tests/sip/drain-stuck.test.ts')

const MASKED = '+12025550600'
const DRIVER = '+12025550611'
const CUSTOMER = '+12025550622'
const DRAIN_S = 1
/** call-control's grace for a far end that answers neither CANCEL nor BYE (SHUTDOWN_GRACE_MS in sip/call-session.ts). */
const SHUTDOWN_GRACE_MS = 2000

let sip: SipPlatform

describe.skipIf(skip)('draining with a leg stuck ringing', () => {
  beforeAll(async () => {
    sip = await startSipPlatform('sip-drain-stuck', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      SIP_DRAIN_TIMEOUT_S: String(DRAIN_S),
      RING_TIMEOUT_S: '60',
    })
  }, 60_000)
  afterAll(() => sip?.stop(), 60_000)

  test('SIGTERM-style stop returns within its bound; the caller gets 503; the record is closed', async () => {
    const http = client(sip.tp.baseUrl)
    const t = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
    expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
    expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    expect((await http.post('/v1/sessions', { key: t.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })).status).toBe(200)

    const run = async (name: string, xml: string, uas: boolean) =>
      runSipp({
        scenario: scenarioFile(sip.tmp.dir, name, xml),
        name,
        dir: sip.tmp.dir,
        localPort: uas ? sip.trunkPort : await freeUdpPort(),
        remote: uas ? undefined : `127.0.0.1:${sip.dr.sipPort}`,
        service: uas ? undefined : MASKED,
        timeoutS: 20,
      })
    const trunk = await run('stuck-uas', uasStuckRinging(), true)
    await Bun.sleep(300)
    const phone = await run('stuck-uac', uacRefused({ from: DRIVER, status: 503 }), false)
    const deadline = Date.now() + 5000
    while ((await http.get('/v1/calls?status=ringing', { key: t.key })).body.total < 1) {
      if (Date.now() > deadline) throw new Error('the call did not ring')
      await Bun.sleep(50)
    }

    const cc = sip.tp.platform.running.get('call-control') as RunningService
    const started = performance.now()
    await cc.stop()
    const stopS = (performance.now() - started) / 1000
    console.log(`[drain-stuck] stop returned after ${stopS.toFixed(2)} s (bound ${DRAIN_S} s + grace ${SHUTDOWN_GRACE_MS / 1000} s)`)
    expect(stopS).toBeGreaterThanOrEqual(DRAIN_S - 0.2)
    expect(stopS).toBeLessThan(DRAIN_S + SHUTDOWN_GRACE_MS / 1000 + 2)

    const heard = await phone.done
    console.log(`[sipp stuck uac] exit ${heard.exitCode}\n${heard.summary}`)
    expect([heard.exitCode, heard.successful, heard.failed]).toEqual([0, 1, 0])
    await trunk.stop()

    const calls = (await http.get('/v1/calls?limit=10', { key: t.key })).body.items
    expect(calls).toHaveLength(1)
    expect(calls[0].status).toBe('failed')
    expect(calls[0].end_reason).toStartWith('shutdown')
    expect(calls[0].ended_at).not.toBeNull()
  }, 60_000)
})
