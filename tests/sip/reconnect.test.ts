/**
 * call-control reconnects to drachtio-server by itself: while it is gone /ready says so and
 * originate answers 503; once it is back (same address) calls are taken again without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { RunningService, ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { startTestPlatform, type TestPlatform } from '../support/platform'
import { removeRtpengine, startRtpengine, type Rtpengine } from '../support/rtpengine'
import { uacRefused } from './scenarios'
import { findDrachtio, freeUdpPort, runSipp, scenarioFile, startDrachtio, tempDir, warnIfSkipped, type Drachtio } from './support'

const skip = warnIfSkipped('tests/sip/reconnect.test.ts')

let tmp: ReturnType<typeof tempDir>
let dr: Drachtio
let tp: TestPlatform
let cc: RunningService
let rtpe: Rtpengine

async function sipReady(want: boolean, timeoutMs: number): Promise<number> {
  const started = Date.now()
  while ((await cc.ready!()).sip !== want) {
    if (Date.now() - started > timeoutMs) throw new Error(`sip ready never became ${want}`)
    await Bun.sleep(50)
  }
  return Date.now() - started
}

describe.skipIf(skip)('drachtio connection', () => {
  beforeAll(async () => {
    tmp = tempDir('sip-reconnect')
    dr = await startDrachtio(findDrachtio()!, tmp.dir)
    rtpe = await startRtpengine()
    // call-control alone: an INVITE then finds nobody serving sessions.route and is refused with 503.
    tp = await startTestPlatform([callControlService] as unknown as ServiceDefinition[], {
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(dr.adminPort),
      DRACHTIO_SECRET: dr.secret,
      SIP_OUTBOUND_TRUNK: '127.0.0.1:5999',
      SIP_TRUSTED_SOURCES: '127.0.0.1/32',
      RTPENGINE_URLS: rtpe.url,
    })
    cc = tp.platform.running.get('call-control')!
    await sipReady(true, 10_000)
  }, 30_000)

  afterAll(async () => {
    await tp?.stop()
    await dr?.stop()
    await removeRtpengine(rtpe)
    tmp?.remove()
  }, 30_000)

  test('drachtio goes away and comes back: call-control notices, reconnects, and takes calls again', async () => {
    await dr.stop()
    await sipReady(false, 5000)
    expect((await cc.ready!()).sip).toBe(false)

    dr = await startDrachtio(findDrachtio()!, tmp.dir, dr)
    const ms = await sipReady(true, 10_000)
    console.log(`[reconnect] call-control reconnected ${ms} ms after drachtio came back`)

    const uac = await runSipp({
      scenario: scenarioFile(tmp.dir, 'after-reconnect', uacRefused({ from: '+12025550111', status: 503 })),
      name: 'after-reconnect',
      dir: tmp.dir,
      localPort: await freeUdpPort(),
      remote: `127.0.0.1:${dr.sipPort}`,
      service: '+12025550100',
    })
    const r = await uac.done
    console.log(`[sipp after-reconnect uac] exit ${r.exitCode}\n${r.summary}`)
    expect([r.exitCode, r.successful, r.failed]).toEqual([0, 1, 0])
  }, 30_000)
})
