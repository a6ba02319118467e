/**
 * The README's curl walk-through, pasted into bash as a reader would, against the services as
 * separate processes: every step runs without editing, and each answers as the README says.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'

let e2e: E2E

/** The first ```sh block of the "Walk-through (curl)" section. */
async function walkThroughBlock(): Promise<string> {
  const readme = await Bun.file(new URL('../../README.md', import.meta.url)).text()
  const section = readme.slice(readme.indexOf('## Walk-through (curl)'))
  const m = section.match(/```sh\n([\s\S]*?)```/)
  if (!m) throw new Error('no sh block in the walk-through section')
  return m[1]!
}

describe.skipIf(!e2eAvailable)('e2e: README walk-through', () => {
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'did', 'sessions', 'call-control', 'gateway'], env: { CALLBACK_ALLOW_PRIVATE: 'true' } })
  }, 120_000)
  afterAll(() => e2e?.stop())

  test('the curl block runs as pasted and every step answers as described', async () => {
    const script = await walkThroughBlock()
    const proc = Bun.spawn(['bash', '-eo', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', API: e2e.launched.gatewayUrls[0]!, ADMIN: e2e.adminToken, CALLBACK: 'http://127.0.0.1:9/call-events' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ code, err }).toEqual({ code: 0, err: '' })
    expect(out).toMatch(/tenant ten_\w+, key msk_live_\w{6}…/)
    expect(out).toContain('old mobile key now answers 401')
    expect(out).toContain(`"revoked_api_key_id"`)
    expect(out).toContain('"action":"key.rotated"')
    expect(out).toMatch(/"order_id":"trip-1001"/)
    // Originate: no SIP engine here, so the one error of the walk-through is sip_unavailable.
    expect(out.match(/"code":"[a-z_]+"/g)).toEqual(['"code":"sip_unavailable"'])
    expect(out).toMatch(/"webhook_secret":"\w+/)
    expect(out.trim().split('\n').at(-1)).toMatch(/"status":"completed".*"end_reason":"completed"/)
  }, 60_000)
})
