/**
 * Fault: NATS goes away under the gateway. Requests that need the bus answer 503
 * service_unavailable at once (no hang), and everything recovers by itself when NATS is back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { PrivateNats } from '../support/nats-server'

let nats: PrivateNats
let e2e: E2E

describe.skipIf(!e2eAvailable)('e2e: NATS outage', () => {
  beforeAll(async () => {
    nats = await PrivateNats.start()
    e2e = await startE2E({ env: { NATS_URL: nats.url } }) // every service: /health asks them all
  })
  afterAll(async () => {
    await e2e?.stop()
    await nats?.stop()
  })

  test('with NATS stopped the gateway answers 503 fast, and recovers by itself when NATS is back', async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    const t = await createTenant(http, e2e.adminToken)
    expect((await http.get('/v1/api-keys', { key: t.key })).status).toBe(200)

    await nats.stop()
    await Bun.sleep(300) // the clients notice the dropped connection
    const started = performance.now()
    const down = await http.get('/v1/api-keys', { key: t.key })
    const elapsed = performance.now() - started
    expect(down.status).toBe(503)
    expect(down.body.error.code).toBe('service_unavailable')
    expect(elapsed).toBeLessThan(1000) // not the 2 s bus timeout: no hang
    expect((await http.get('/health')).status).toBe(503)
    expect((await http.get('/ready')).status).toBe(503)

    await nats.start()
    let status = 0
    const deadline = Date.now() + 10_000
    while (status !== 200 && Date.now() < deadline) {
      await Bun.sleep(200)
      status = (await http.get('/v1/api-keys', { key: t.key })).status
    }
    expect(status).toBe(200)
    // Every service behind the gateway reconnects by itself too.
    let health = await http.get('/health')
    while (health.status !== 200 && Date.now() < deadline) {
      await Bun.sleep(200)
      health = await http.get('/health')
    }
    expect(health.body.services).toEqual({ identity: 'ok', did: 'ok', sessions: 'ok', call_control: 'ok' })
    // No process was restarted by hand.
    expect(e2e.launched.processes.every((p) => p.proc.exitCode === null)).toBe(true)
  })
})
