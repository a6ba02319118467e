/**
 * Fault: NATS as a three-node cluster, the services as separate processes given all three URLs,
 * and the node the gateway is connected to is killed (SIGKILL) under load. Requests answer 200 or
 * 503 `service_unavailable`, nothing else; every request started 2 s after the kill succeeds, with
 * no process restarted; every session acknowledged with a 200 reads back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'
import { NatsCluster } from '../support/nats-cluster'

interface Sample {
  kind: 'list' | 'create'
  start: number
  end: number
  status: number
  code?: string
}

let cluster: NatsCluster
let e2e: E2E

describe.skipIf(!e2eAvailable)('e2e: losing a node of a NATS cluster', () => {
  beforeAll(async () => {
    cluster = await NatsCluster.start(3)
    e2e = await startE2E({ env: { NATS_URL: cluster.urls } })
  }, 60_000)
  afterAll(async () => {
    await e2e?.stop()
    await cluster?.stop()
  })

  test("the gateway's node dies under load: only 503s during the switch, all well within 2 s, nothing acknowledged lost", async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100_000, number_sharing: 'shared' })
    const held = Array.from({ length: 40 }, (_, i) => `+1202559${String(i).padStart(4, '0')}`)
    expect((await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers: held } })).status).toBe(200)
    for (const n of held) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
    const pids = e2e.launched.processes.map((p) => p.proc.pid)
    const before = await cluster.nodeOf('masking-gateway')
    expect(before).toBeDefined()
    const spread = await cluster.clients()

    const samples: Sample[] = []
    const acknowledged: string[] = []
    let seq = 0
    const load = runLoad({
      workers: 8,
      maxMs: 30_000,
      request: async (i) => {
        const kind = i % 2 === 0 ? 'list' : 'create'
        const start = performance.now()
        let r
        if (kind === 'list') r = await http.get('/v1/api-keys', { key: t.key })
        else {
          const n = seq++
          r = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: `+1415${4_000_000 + 2 * n}`, customer_phone: `+1415${4_000_001 + 2 * n}` } })
          if (r.status === 200) acknowledged.push(r.body.id)
        }
        samples.push({ kind, start, end: performance.now(), status: r.status, code: r.body?.error?.code })
        return r.status
      },
    })
    await Bun.sleep(1000)
    expect(samples.filter((s) => s.status === 200).length).toBeGreaterThan(0)

    const killedAt = performance.now()
    await cluster.kill(before!)
    await Bun.sleep(4000) // the load runs on through the switch and well past it
    const result = await load.stop()
    const after = await cluster.nodeOf('masking-gateway')

    const failed = samples.filter((s) => s.status !== 200)
    const lastFailedStart = Math.max(killedAt, ...failed.map((s) => s.start))
    const recoveryMs = lastFailedStart - killedAt
    const afterwards = samples.filter((s) => s.start > killedAt + 2000)
    console.log(
      `NATS cluster: killed ${before!.name} (clients by node before: ${JSON.stringify(spread)}); gateway now on ${after?.name}; ` +
        `${result.total} requests ${JSON.stringify(Object.fromEntries(result.statuses))}; last failing request started ${Math.round(recoveryMs)} ms after the kill; ` +
        `${afterwards.length} requests started 2 s after it, ${afterwards.filter((s) => s.status === 200).length} of them 200`,
    )

    // Only 200 and 503 service_unavailable: no 500, no network error, no 409.
    expect([...result.statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([])
    expect(failed.filter((s) => s.code !== 'service_unavailable')).toEqual([])
    // Recovery within 2 s, without restarting anything: every request started after it is a 200.
    expect(recoveryMs).toBeLessThan(2000)
    expect(afterwards.filter((s) => s.kind === 'list').length).toBeGreaterThan(0)
    expect(afterwards.filter((s) => s.kind === 'create').length).toBeGreaterThan(0)
    expect(afterwards.filter((s) => s.status !== 200)).toEqual([])
    expect(after).toBeDefined()
    expect(after!.name).not.toBe(before!.name)
    expect(e2e.launched.processes.map((p) => p.proc.pid)).toEqual(pids)
    expect(e2e.launched.processes.every((p) => p.proc.exitCode === null)).toBe(true)
    expect((await http.get('/health')).body.services).toEqual({ identity: 'ok', did: 'ok', sessions: 'ok', call_control: 'ok' })

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
  }, 60_000)
})
