/**
 * Fault: PostgreSQL restarts under load. While it is down the gateway answers 503, it recovers by
 * itself, and nothing acknowledged is lost: every key whose creation got a 200 exists afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { client, createTenant } from '../support/http'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'
import { PrivatePostgres } from '../support/pg-server'

describe.skipIf(!e2eAvailable || !PrivatePostgres.available())('e2e: PostgreSQL restart', () => {
  let pg: PrivatePostgres
  let e2e: E2E
  beforeAll(async () => {
    pg = await PrivatePostgres.start()
    e2e = await startE2E({ services: ['identity', 'gateway'], env: { DATABASE_URL: pg.url } })
  }, 60_000)
  afterAll(async () => {
    await e2e?.stop()
    await pg?.destroy()
  }, 30_000)

  test('503 while down, recovery without a restart by hand, no acknowledged write lost', async () => {
    const http = client(e2e.launched.gatewayUrls[0]!)
    const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100000 })
    const acknowledged: string[] = []
    const load = runLoad({
      workers: 8,
      request: async () => {
        const r = await http.post('/v1/api-keys', { key: t.key, body: { label: 'under-load' } })
        if (r.status === 200) acknowledged.push(r.body.id)
        return r.status
      },
    })
    await Bun.sleep(300)
    await pg.stop('fast')
    await Bun.sleep(700)
    const down = await http.post('/v1/api-keys', { key: t.key, body: {} })
    expect(down.status).toBe(503)
    expect(down.body.error.code).toBe('service_unavailable')
    await pg.start()
    const deadline = Date.now() + 10_000
    let ok = false
    while (!ok && Date.now() < deadline) {
      await Bun.sleep(200)
      ok = (await http.get('/v1/api-keys', { key: t.key })).status === 200
    }
    expect(ok).toBe(true)
    await Bun.sleep(300)
    const result = await load.stop()
    expect([...result.statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([])
    expect(result.statuses.get(503)).toBeGreaterThan(0)
    expect(acknowledged.length).toBeGreaterThan(0)

    const sql = new SQL(pg.url)
    const rows = await sql`select id from identity.api_keys where tenant_id = ${t.tenantId}`
    await sql.close()
    const stored = new Set(rows.map((r: { id: string }) => r.id))
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
    expect(e2e.launched.processes.every((p) => p.proc.exitCode === null)).toBe(true)
  })
})
