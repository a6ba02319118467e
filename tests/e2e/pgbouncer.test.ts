/**
 * The services through PgBouncer (Debian's, transaction mode), as production runs them
 * (docs/operations.md): concurrent migrations serialise on a transaction-scoped advisory lock and
 * leave no lock behind; then the whole platform as separate processes, every database connection
 * through a PgBouncer with fewer server connections than the services hold, under a mixed load
 * (transactions with row locks, inserts racing on unique indexes, prepared reads, lists).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { SQL } from 'bun'
import { openDatabase } from '../../shared/db/database'
import { client, createTenant } from '../support/http'
import { freshDatabase, type TestDatabase } from '../support/infra'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'
import { runLoad } from '../support/load'
import { PGBOUNCER_BIN, PrivatePgBouncer } from '../support/pgbouncer'

if (e2eAvailable && !PGBOUNCER_BIN) console.warn('!!! PgBouncer tests SKIPPED: no pgbouncer (apt-get install pgbouncer; .ci/run installs it)')
const SERVER_CONNECTIONS = 4

let bouncer: PrivatePgBouncer

describe.skipIf(!e2eAvailable || !PGBOUNCER_BIN)('e2e: through PgBouncer (transaction mode)', () => {
  beforeAll(async () => {
    bouncer = await PrivatePgBouncer.start({ poolSize: SERVER_CONNECTIONS })
  })
  afterAll(async () => {
    await bouncer?.stop()
  })

  test('six services migrating one schema at once: one at a time, each migration once, no advisory lock left', async () => {
    const db: TestDatabase = await freshDatabase()
    const url = bouncer.via(db.url!)
    const handles = await Promise.all(Array.from({ length: 6 }, () => openDatabase({ url, poolMax: 2, prepare: false })))
    try {
      await Promise.all(handles.map((h) => h.migrate('sessions', join(import.meta.dir, '../../services/sessions/db/migrations'))))
      const direct = new SQL(db.url!)
      const files = [...new Bun.Glob('*.sql').scanSync(join(import.meta.dir, '../../services/sessions/db/migrations'))]
      const [journal] = await direct`select count(*)::int as n, count(distinct hash)::int as d from drizzle.sessions_migrations`
      expect(journal).toEqual({ n: files.length, d: files.length })
      const [tables] = await direct`select count(*)::int as n from information_schema.tables where table_schema = 'sessions'`
      expect(tables.n).toBeGreaterThanOrEqual(3)
      // A session-level lock taken through a transaction pooler stays with some server connection; these are transaction-scoped.
      const locks = await direct`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database()`
      expect(locks[0].n).toBe(0)
      await direct.close()
    } finally {
      await Promise.all(handles.map((h) => h.close()))
      await db.drop()
    }
  })

  describe('the platform as separate processes', () => {
    let e2e: E2E
    beforeAll(async () => {
      e2e = await startE2E({
        databaseUrl: (url) => bouncer.via(url),
        env: { DB_PREPARED_STATEMENTS: 'false', DB_POOL_MAX: '5' },
        instances: { sessions: 2 },
      })
    }, 60_000)
    afterAll(async () => {
      await e2e?.stop()
    })

    test('every kind of request works under load with fewer server connections than clients; nothing acknowledged is lost', async () => {
      expect(e2e.env.DATABASE_URL).toContain(`:${bouncer.port}/`)
      const http = client(e2e.launched.gatewayUrls[0]!)
      const t = await createTenant(http, e2e.adminToken, { rate_limit_per_second: 100_000, number_sharing: 'shared' })
      const held = Array.from({ length: 20 }, (_, i) => `+1202558${String(i).padStart(4, '0')}`)
      expect((await http.post('/admin/v1/dids', { bearer: e2e.adminToken, body: { numbers: held } })).status).toBe(200)
      for (const n of held) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: e2e.adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)

      const direct = new SQL({ url: e2e.db.url!, max: 1 }) // one connection: the only one not through the pooler
      const backends = async () => Number((await direct`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)[0].n)
      let maxBackends = 0
      const acknowledged: string[] = []
      const unexpected: string[] = []
      let seq = 0
      const load = runLoad({
        workers: 12,
        maxMs: 60_000,
        request: async (i) => {
          const kind = i % 4
          let r
          if (kind === 0) {
            const n = seq++
            r = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: `+1415${3_000_000 + 2 * n}`, customer_phone: `+1415${3_000_001 + 2 * n}` } })
            if (r.status === 200) acknowledged.push(r.body.id)
          } else if (kind === 1) r = await http.get('/v1/api-keys', { key: t.key }) // identity's prepared reads
          else if (kind === 2) r = await http.get('/v1/sessions?status=open&limit=20', { key: t.key })
          else r = await http.get('/v1/calls?limit=20', { key: t.key })
          if (r.status !== 200) unexpected.push(`${kind}: ${r.status} ${r.text.slice(0, 200)}`)
          return r.status
        },
      })
      const sampler = setInterval(() => void backends().then((n) => (maxBackends = Math.max(maxBackends, n))), 100)
      // A number of requests, not a duration: on a busy machine fewer fit in a given time.
      while (load.total < 240 && unexpected.length === 0) await Bun.sleep(50)
      const result = await load.stop()
      clearInterval(sampler)

      // Key changes: transactions taking the tenant's row lock.
      const made = await http.post('/v1/api-keys', { key: t.key, body: { label: 'second' } })
      expect(made.status).toBe(200)
      const rotated = await http.post(`/v1/api-keys/${made.body.id}/rotate`, { key: t.key })
      expect(rotated.status).toBe(200)
      expect((await http.get('/v1/api-keys', { key: rotated.body.api_key ?? rotated.body.new_api_key ?? t.key })).status).toBe(200)
      const revoked = await http.post(`/v1/api-keys/${t.keyId}/revoke`, { key: t.key })
      expect(revoked.status).toBe(200)

      console.log(`PgBouncer: ${result.total} requests ${JSON.stringify(Object.fromEntries(result.statuses))}, ${acknowledged.length} sessions, at most ${maxBackends} server connections (pool ${SERVER_CONNECTIONS})`)
      expect(unexpected).toEqual([])
      expect(result.total).toBeGreaterThanOrEqual(240)
      expect(acknowledged.length).toBeGreaterThan(10)
      // Six processes × five connections each share the pooler's four server connections.
      expect(maxBackends).toBeLessThanOrEqual(SERVER_CONNECTIONS)
      const found = await direct`select count(*)::int as n from sessions.sessions where id in ${direct(acknowledged)}`
      expect(found[0].n).toBe(acknowledged.length)
      await direct.close()
      expect(await bouncer.log()).not.toMatch(/prepared statement|ERROR/i)
    })
  })
})
