/** SIGTERM under load: the process stops taking work, finishes what is in flight, exits 0. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'

describe.skipIf(!e2eAvailable)('e2e: graceful shutdown', () => {
  let e2e: E2E
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'gateway'], instances: { identity: 2 }, env: { LOG_LEVEL: 'info' } })
  }, 60_000)
  afterAll(() => e2e?.stop(), 30_000)

  test('SIGTERM to an identity instance under load: its in-flight work completes, the other carries on, exit 0', async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100000 })
    const load = runLoad({ workers: 20, request: async () => (await http.get('/v1/api-keys', { key: t.key })).status })
    await Bun.sleep(300)
    const victim = e2e.launched.byName('identity')[0]!
    victim.proc.kill('SIGTERM')
    expect(await victim.exited).toBe(0)
    const before = load.total
    await Bun.sleep(300)
    const result = await load.stop()
    expect(result.total).toBeGreaterThan(before) // still served by the other instance
    // Nothing failed: every request was answered by one instance or the other.
    expect([...result.statuses.keys()]).toEqual([200])
    expect(victim.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
  })

  test('SIGTERM to the gateway under load: accepted requests are answered, then it exits 0', async () => {
    const gw = e2e.launched.byName('gateway')[0]!
    const http = client(gw.url)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100000 })
    const load = runLoad({ workers: 20, request: async () => (await http.get('/v1/api-keys', { key: t.key })).status })
    await Bun.sleep(300)
    gw.proc.kill('SIGTERM')
    expect(await gw.exited).toBe(0)
    const result = await load.stop()
    // Requests either completed normally or found the port closed; none got an error reply.
    expect([...result.statuses.keys()].filter((s) => s !== 200 && s !== 'network_error')).toEqual([])
    expect(result.statuses.get(200)).toBeGreaterThan(0)
  })
})
