/**
 * SIP scale-out through a real load balancer: SIPp phones → Kamailio (Debian's, dispatcher with
 * OPTIONS pinging, infra/kamailio/kamailio.cfg) → two drachtio-server + call-control pairs (pair A
 * in this process with the rest of the platform, pair B a separate call-control process with its
 * own drachtio-server) → a SIPp trunk. Calls spread over both pairs; when pair B is killed
 * (SIGKILL, both processes), the calls on pair A go on to their normal end and every new call is
 * bridged by pair A, both in the window before the next ping (Kamailio retries a silent member's
 * calls on the other) and after it (the dead member is out of the set).
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/kamailio.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { launch, type Launched } from '../../infra/launch'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { registry } from '../../shared/metrics'
import type { ServiceDefinition } from '../../shared/service'
import { client, createTenant } from '../support/http'
import { metricValue } from '../support/metrics'
import { findKamailio, startKamailio, type Kamailio } from './kamailio'
import { uas } from './scenarios'
import { freeUdpPort, runSipp, scenarioFile, startDrachtio, startSipPlatform, warnIfSkipped, type Drachtio, type SipPlatform } from './support'

const noKamailio = !findKamailio()
if (noKamailio) console.warn('!!! Kamailio SIP scale-out test SKIPPED: no kamailio (apt-get install kamailio; .ci/run installs it)')
const skip = warnIfSkipped('tests/sip/kamailio.test.ts') || noKamailio

const MASKED = '+12025550300'
const DRIVER = '+12025550311'
const CUSTOMER = '+12025550322'
const PING_INTERVAL_S = 1
const FR_TIMER_MS = 1000

/**
 * A driver calling through a proxy: the dialog's ACK and BYE carry the Record-Route set the 200
 * brought (SIPp `rrs`), so Kamailio sends them to the pair that has the call.
 */
function uacViaProxy(holdMs: number): string {
  const from = `From: <sip:${DRIVER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`
  const inDialog = (method: string, cseq: number) => `      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      ${from}
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:${DRIVER}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0`
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uac-via-proxy">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      ${from}
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${DRIVER}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
${inDialog('ACK', 1)}
    ]]>
  </send>
  <pause milliseconds="${holdMs}"/>
  <send retrans="500">
    <![CDATA[
${inDialog('BYE', 2)}
    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
`
}

let sip: SipPlatform
let drB: Drachtio
let pairB: Launched
let kam: Kamailio

/** Calls bridged so far by pair A (this process) and pair B (its own process, while it lives). */
async function bridged(): Promise<{ a: number; b: number }> {
  const labels = { direction: 'inbound', outcome: 'bridged' }
  const a = metricValue(await registry.metrics(), 'sip_calls_total', labels)
  const bProc = pairB.processes[0]!
  const b = bProc.proc.exitCode === null && !bProc.proc.killed ? metricValue(await (await fetch(`${bProc.url}/metrics`)).text(), 'sip_calls_total', labels) : Number.NaN
  return { a, b }
}

async function callsThroughKamailio(name: string, calls: number, rate: number, holdMs: number) {
  return runSipp({
    scenario: scenarioFile(sip.tmp.dir, name, uacViaProxy(holdMs)),
    name,
    dir: sip.tmp.dir,
    localPort: await freeUdpPort(),
    remote: `127.0.0.1:${kam.port}`,
    service: MASKED,
    calls,
    rate,
    timeoutS: 30,
  })
}

describe.skipIf(skip)('SIP scale-out: Kamailio in front of two drachtio-server + call-control pairs', () => {
  beforeAll(async () => {
    sip = await startSipPlatform('kamailio', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      DEFAULT_REGION: 'US',
      SIP_DRAIN_TIMEOUT_S: '2',
    })
    drB = await startDrachtio(process.env.DRACHTIO_BIN ?? Bun.which('drachtio')!, sip.tmp.dir)
    pairB = await launch({
      env: { ...sip.tp.env, DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(drB.adminPort), DRACHTIO_SECRET: drB.secret },
      services: ['call-control'],
      ports: 'free',
    })
    kam = await startKamailio({ dir: sip.tmp.dir, members: [`127.0.0.1:${sip.dr.sipPort}`, `127.0.0.1:${drB.sipPort}`], pingIntervalS: PING_INTERVAL_S, frTimerMs: FR_TIMER_MS })

    const http = client(sip.tp.baseUrl)
    const t = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
    expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
    expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const s = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })
    expect(s.status).toBe(200)
    // Both pairs answer Kamailio's pings before the first call.
    await Bun.sleep(PING_INTERVAL_S * 1000 * 2)
  }, 60_000)

  afterAll(async () => {
    await kam?.stop()
    await pairB?.stop('SIGKILL')
    await drB?.stop()
    await sip?.stop()
  }, 60_000)

  test('calls spread over both pairs', async () => {
    const before = await bridged()
    const trunk = await runSipp({ scenario: scenarioFile(sip.tmp.dir, 'spread-uas', uas({ hangup: 'them' })), name: 'spread-uas', dir: sip.tmp.dir, localPort: sip.trunkPort, calls: 20, timeoutS: 40 })
    await Bun.sleep(300)
    const phones = await (await callsThroughKamailio('spread-uac', 20, 10, 300)).done
    const trunkResult = await trunk.done
    const after = await bridged()
    const a = after.a - before.a
    const b = after.b - before.b
    console.log(`[kamailio spread] uac ${phones.summary.replace(/\n/g, '; ')}; bridged by pair A ${a}, by pair B ${b}`)
    expect([phones.successful, phones.failed]).toEqual([20, 0])
    expect([trunkResult.successful, trunkResult.failed]).toEqual([20, 0])
    expect(a + b).toBe(20)
    // Round robin over two active members.
    expect(a).toBeGreaterThanOrEqual(5)
    expect(b).toBeGreaterThanOrEqual(5)
  }, 60_000)

  test("pair B killed: pair A's calls end normally, and every new call is bridged by pair A (before and after the next ping)", async () => {
    const trunk = await runSipp({ scenario: scenarioFile(sip.tmp.dir, 'fail-uas', uas({ hangup: 'them' })), name: 'fail-uas', dir: sip.tmp.dir, localPort: sip.trunkPort, calls: 1000, timeoutS: 60 })
    await Bun.sleep(300)
    const before = await bridged()
    const long = await callsThroughKamailio('long-uac', 10, 10, 6000)
    // All ten are up (bridged) before the kill.
    const deadline = Date.now() + 10_000
    let up = await bridged()
    while (up.a + up.b - before.a - before.b < 10 && Date.now() < deadline) {
      await Bun.sleep(100)
      up = await bridged()
    }
    const onA = up.a - before.a
    const onB = up.b - before.b
    expect(onA + onB).toBe(10)
    expect(onA).toBeGreaterThan(0)
    expect(onB).toBeGreaterThan(0)

    // Kill pair B, both processes.
    pairB.processes[0]!.proc.kill('SIGKILL')
    await pairB.processes[0]!.exited
    await drB.stop() // SIGTERM, then SIGKILL: drachtio stops answering at once either way
    const killedAt = Date.now()

    // Straight away, before Kamailio's next ping: a call sent to pair B gets no answer and is given to pair A.
    const aBefore = (await bridged()).a
    const soon = await (await callsThroughKamailio('soon-uac', 6, 6, 300)).done
    // After the ping interval: pair B is out of the set; nothing waits for it.
    await Bun.sleep(Math.max(0, killedAt + PING_INTERVAL_S * 1000 + FR_TIMER_MS + 500 - Date.now()))
    const logBefore = kam.log().length
    const laterStart = performance.now()
    const later = await (await callsThroughKamailio('later-uac', 10, 10, 300)).done
    const laterMs = performance.now() - laterStart
    const aAfter = (await bridged()).a
    const longResult = await long.done
    await trunk.stop()
    console.log(
      `[kamailio failover] long calls: ${onA} on pair A, ${onB} on pair B → uac ${longResult.successful} successful, ${longResult.failed} failed; ` +
        `6 calls right after the kill: ${soon.successful} successful; 10 calls after the ping interval: ${later.successful} successful in ${Math.round(laterMs)} ms; ` +
        `pair A bridged ${aAfter - aBefore} new calls`,
    )
    // The survivor's calls were not touched; those on the dead pair are gone with it.
    expect(longResult.successful).toBe(onA)
    expect(longResult.failed).toBe(onB)
    // Every new call was bridged, by pair A.
    expect([soon.successful, soon.failed]).toEqual([6, 0])
    expect([later.successful, later.failed]).toEqual([10, 0])
    expect(aAfter - aBefore).toBe(16)
    // Kamailio's pings took pair B out of its set, and after the ping interval no new call was
    // even tried on it (a try would have waited for it and gone through the failure route).
    // Marked down by a failed call (its failure route names the member) or by the next ping (the dispatcher's event).
    expect(kam.log()).toMatch(new RegExp(`member sip:127\\.0\\.0\\.1:${drB.sipPort} (is down|failed for)`))
    expect(kam.log().slice(logBefore)).not.toContain('failed for')
  }, 90_000)
})
