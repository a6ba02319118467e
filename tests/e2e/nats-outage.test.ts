/**
 * Fault: NATS goes away under the gateway while a load runs (authenticated key lists and session
 * creates). Requests that need the bus answer 503 service_unavailable at once (no hang), nothing
 * else fails, and everything recovers by itself when NATS is back: no process restarted by hand,
 * no acknowledged session lost.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'
import { PrivateNats } from '../support/nats-server'

let nats: PrivateNats
let e2e: E2E

/** One request of the load: what it was, when it started and ended (ms, performance.now()), and how it ended. */
interface Sample {
  kind: 'list' | 'create'
  start: number
  end: number
  status: number
  code?: string
}

describe.skipIf(!e2eAvailable)('e2e: NATS outage', () => {
  beforeAll(async () => {
    nats = await PrivateNats.start()
    e2e = await startE2E({ env: { NATS_URL: nats.url } }) // every service: /health asks them all
  }, 60_000)
  afterAll(async () => {
    await e2e?.stop()
    await nats?.stop()
  }, 30_000)

  test('NATS restart under load: 503 fast while down, recovery by itself within seconds, no acknowledged session lost', async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    // Shared numbers and a fresh pair of phones per session: the pool never runs out, so every create is 200 or 503.
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100_000, number_sharing: 'shared' })
    const held = Array.from({ length: 50 }, (_, i) => `+1202557${String(i).padStart(4, '0')}`)
    expect((await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers: held } })).status).toBe(200)
    for (const n of held) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    expect((await http.get('/v1/api-keys', { key: t.key })).status).toBe(200)
    const pids = e2e.launched.processes.map((p) => p.proc.pid)

    const samples: Sample[] = []
    const acknowledged: string[] = []
    let seq = 0
    const load = runLoad({
      workers: 8,
      maxMs: 25_000,
      request: async (i) => {
        const kind = i % 2 === 0 ? 'list' : 'create'
        const start = performance.now()
        let r
        if (kind === 'list') {
          r = await http.get('/v1/api-keys', { key: t.key })
        } else {
          const n = seq++
          r = await http.post('/v1/sessions', {
            key: t.key,
            body: { order_id: `nats-${i}`, driver_phone: `+1415${2_000_000 + 2 * n}`, customer_phone: `+1415${2_000_001 + 2 * n}`, ttl_minutes: 60 },
          })
          if (r.status === 200) acknowledged.push(r.body.id)
        }
        samples.push({ kind, start, end: performance.now(), status: r.status, code: r.body?.error?.code })
        return r.status
      },
    })
    const recovered = (since: number, kind: Sample['kind']) => samples.some((s) => s.kind === kind && s.status === 200 && s.start >= since)
    await Bun.sleep(500)
    expect(recovered(0, 'list') && recovered(0, 'create')).toBe(true) // the load runs

    const killedAt = performance.now()
    await nats.stop()
    await Bun.sleep(300) // the clients notice the dropped connection
    const probeStart = performance.now()
    const down = await http.get('/v1/api-keys', { key: t.key })
    const probeMs = performance.now() - probeStart
    expect(down.status).toBe(503)
    expect(down.body.error.code).toBe('service_unavailable')
    expect(probeMs).toBeLessThan(1000) // not the 2 s bus timeout: no hang
    expect((await http.get('/health')).status).toBe(503)
    expect((await client(e2e.launched.byName('gateway')[0]!.opsUrl).get('/ready')).status).toBe(503)
    await Bun.sleep(Math.max(0, killedAt + 2000 - performance.now())) // down for ~2 s

    await nats.start()
    const startedAt = performance.now()
    const deadline = startedAt + 10_000
    while (!(recovered(startedAt, 'list') && recovered(startedAt, 'create')) && performance.now() < deadline) await Bun.sleep(10)
    const firstOk = Math.min(...samples.filter((s) => s.status === 200 && s.start >= startedAt).map((s) => s.end))
    const recoveryMs = firstOk - startedAt
    // Every service behind the gateway reconnects by itself too (the load still running).
    let health = await http.get('/health')
    while (health.status !== 200 && performance.now() < deadline) {
      await Bun.sleep(100)
      health = await http.get('/health')
    }
    const healthyAt = performance.now()
    await Bun.sleep(300)
    const result = await load.stop()
    const downSamples = samples.filter((s) => s.start >= killedAt && s.end < startedAt)
    // In flight when NATS died: their replies are lost, so they fail at once too (not after the 2 s bus timeout).
    const inFlight = samples.filter((s) => s.start < killedAt && s.end > killedAt)
    console.log(
      `NATS outage: ${result.total} requests, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}; ` +
        `${downSamples.length} while down (slowest ${Math.round(Math.max(...downSamples.map((s) => s.end - s.start)))} ms), ` +
        `${inFlight.length} in flight at the stop (answered ≤ ${Math.round(Math.max(...inFlight.map((s) => s.end - killedAt)))} ms after it); ` +
        `first 200 ${Math.round(recoveryMs)} ms after NATS started; /health ok after ${Math.round(healthyAt - startedAt)} ms`,
    )

    expect(recovered(startedAt, 'list')).toBe(true)
    expect(recovered(startedAt, 'create')).toBe(true)
    expect(recoveryMs).toBeLessThan(10_000)
    expect(health.status).toBe(200)
    expect(health.body.services).toEqual({ identity: 'ok', did: 'ok', sessions: 'ok', call_control: 'ok' })
    // Only 200 and 503: no 500, no network error, no 409 (shared numbers never run out).
    expect([...result.statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([])
    expect(samples.filter((s) => s.status !== 200 && s.code !== 'service_unavailable')).toEqual([])
    // While NATS was down the load went on, and every request answered 503 at once (under the 2 s bus timeout).
    expect(downSamples.filter((s) => s.kind === 'list').length).toBeGreaterThan(0)
    expect(downSamples.filter((s) => s.kind === 'create').length).toBeGreaterThan(0)
    expect(downSamples.filter((s) => s.status !== 503)).toEqual([])
    expect(downSamples.filter((s) => s.end - s.start >= 1000)).toEqual([])
    expect(inFlight.filter((s) => s.status !== 200 && s.end - killedAt >= 1000)).toEqual([])
    // Once every service answered again, so did every request.
    expect(samples.filter((s) => s.start >= healthyAt && s.status !== 200)).toEqual([])
    // No process was restarted by hand.
    expect(e2e.launched.processes.map((p) => p.proc.pid)).toEqual(pids)
    expect(e2e.launched.processes.every((p) => p.proc.exitCode === null)).toBe(true)

    // Nothing acknowledged was lost: every create that got a 200 reads back.
    expect(acknowledged.length).toBeGreaterThan(0)
    const missing: string[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < acknowledged.length) {
          const id = acknowledged[next++]!
          const r = await http.get(`/v1/sessions/${id}`, { key: t.key })
          if (r.status !== 200 || r.body.id !== id) missing.push(`${id}: ${r.status}`)
        }
      }),
    )
    expect(missing).toEqual([])
  })
})
