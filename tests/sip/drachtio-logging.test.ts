/**
 * The drachtio-server configuration shipped in infra/ logs no SIP message at its default level:
 * SIP messages carry both parties' numbers. A flood of INVITEs through a drachtio-server run with
 * infra/drachtio/drachtio.conf.xml leaves no number in its log; the same flood at log level info
 * (what the file said before) does, so the check can tell the difference.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/drachtio-logging.test.ts
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { uacRefused } from './scenarios'
import { findDrachtio, freeUdpPort, runSipp, scenarioFile, startDrachtio, tempDir, warnIfSkipped } from './support'

const skip = warnIfSkipped('tests/sip/drachtio-logging.test.ts')
const CALLER = '+12025550777'
const tmp = tempDir('drachtio-logging')
afterAll(() => tmp.remove())

/** 30 INVITEs at a drachtio-server with no application (it refuses them); returns its log. */
async function flood(conf?: string): Promise<string> {
  const dr = await startDrachtio(findDrachtio()!, tmp.dir, undefined, conf ? { conf } : {})
  try {
    const name = `flood-${dr.adminPort}`
    // No application is connected, so drachtio answers each INVITE itself (with a 5xx).
    const xml = uacRefused({ from: CALLER, status: 503 }).replace('<recv response="503"/>', '<recv response="480" optional="true"/>\n  <recv response="503" optional="true"/>\n  <recv response="500"/>')
    const run = await runSipp({ scenario: scenarioFile(tmp.dir, name, xml), name, dir: tmp.dir, localPort: await freeUdpPort(), remote: `127.0.0.1:${dr.sipPort}`, service: '+12025550700', calls: 30, rate: 50, timeoutS: 10 })
    await run.done
    await Bun.sleep(300)
  } finally {
    await dr.stop()
  }
  return readFileSync(dr.logFile, 'utf8')
}

describe.skipIf(skip)('drachtio logging', () => {
  test('the shipped config logs no SIP message (no number) where level info would', async () => {
    const shipped = await flood(join(import.meta.dir, '../../infra/drachtio/drachtio.conf.xml'))
    const verbose = await flood()
    console.log(`[drachtio log] shipped config: ${shipped.length} bytes; at info: ${verbose.length} bytes`)
    expect(verbose).toContain(CALLER.slice(1)) // the check can see a number when one is logged
    expect(shipped).not.toContain(CALLER.slice(1))
    expect(shipped).not.toContain('INVITE sip:')
  }, 60_000)
})
