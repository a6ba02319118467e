/**
 * Each service's PostgreSQL role can use only its own schema (issue 12), on a real PostgreSQL:
 * the roles script (infra/postgres/roles.ts) runs on a fresh database, each service migrates as
 * its own role, and one service's role is refused everything in another's schema. Then the
 * platform runs with those roles, each service on its own DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { SQL } from 'bun'
import { randomBase62 } from '../../shared/api-key'
import { openDatabase, type Database } from '../../shared/db/database'
import { launch, type Launched } from '../../infra/launch'
import { DATABASE_SERVICES, defaultRoleOf, rolesSql, type DatabaseService } from '../../infra/postgres/roles'
import { client, createTenant } from '../support/http'
import { PG_ADMIN_URL, probeInfra, testEnv } from '../support/infra'

const infra = await probeInfra()
const suffix = randomBase62(6).toLowerCase()
const dbName = `masking_roles_${Date.now().toString(36)}_${suffix}`
const roleOf = (s: DatabaseService) => `${defaultRoleOf(s)}_${suffix}`
const passwords = Object.fromEntries(DATABASE_SERVICES.map((s) => [s, randomBase62(20)])) as Record<DatabaseService, string>
const urlOf = (s: DatabaseService) => {
  const u = new URL(PG_ADMIN_URL)
  u.username = roleOf(s)
  u.password = passwords[s]
  u.pathname = `/${dbName}`
  return u.toString()
}
const ROOT = join(import.meta.dir, '../..')
const opened: Database[] = []

describe.skipIf(!infra.postgres)('PostgreSQL: one role per service, limited to its schema', () => {
  beforeAll(async () => {
    const admin = new SQL(PG_ADMIN_URL)
    await admin.unsafe(`create database ${dbName}`)
    await admin.close()
    const inDb = new SQL(PG_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`))
    await inDb.unsafe(rolesSql({ database: dbName, roleOf, passwords }))
    await inDb.close()
  })

  afterAll(async () => {
    await Promise.allSettled(opened.map((d) => d.close()))
    const admin = new SQL(PG_ADMIN_URL)
    await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => undefined)
    for (const s of DATABASE_SERVICES) await admin.unsafe(`drop role if exists ${roleOf(s)}`).catch(() => undefined)
    await admin.close()
  }, 30_000)

  test('every service migrates as its own role', async () => {
    for (const s of DATABASE_SERVICES) {
      const d = await openDatabase({ url: urlOf(s), poolMax: 2 })
      opened.push(d)
      await d.migrate(s, join(ROOT, 'services', s, 'db/migrations'))
    }
  })

  test("a role is refused everything in another service's schema, and in public", async () => {
    const didRole = new SQL(urlOf('did'))
    const refused = async (q: string) => {
      try {
        await didRole.unsafe(q)
        return 'allowed'
      } catch (e) {
        return (e as { errno?: string; code?: string }).errno ?? (e as Error).message
      }
    }
    try {
      for (const q of [
        'select webhook_secret from identity.tenants',
        'select key_hash from identity.api_keys',
        "insert into identity.tenants (id, name, webhook_secret) values ('ten_x', 'x', 'x')",
        'select driver_phone from sessions.sessions',
        'select * from calls.calls',
        'create table identity.evil (x int)',
        'create table public.evil (x int)',
        'select * from drizzle.identity_migrations',
        'drop schema sessions cascade',
      ]) {
        expect([q, await refused(q)]).toEqual([q, '42501']) // insufficient_privilege
      }
      // Its own schema is its own.
      expect(await refused('select count(*) from did.dids')).toBe('allowed')
    } finally {
      await didRole.close()
    }
  })

  describe('the platform on those roles', () => {
    let launched: Launched
    let adminToken = ''
    beforeAll(async () => {
      const env = await testEnv({ url: urlOf('identity'), drop: async () => undefined })
      adminToken = env.ADMIN_TOKEN!
      launched = await launch({ env, envOf: (name): Record<string, string> => (name === 'gateway' ? {} : { DATABASE_URL: urlOf(name) }) })
    }, 90_000)
    afterAll(() => launched?.stop(), 30_000)

    test('tenants, numbers and sessions work, each service on its own role', async () => {
      const http = client(launched.gatewayUrls[0]!)
      const t = await createTenant(http, adminToken)
      const n = '+12025550199'
      expect((await http.post('/admin/v1/dids', { bearer: adminToken, body: { numbers: [n] } })).status).toBe(200)
      expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
      const s = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155550111', customer_phone: '+14155550112' } })
      expect(s.status).toBe(200)
      expect((await http.get('/v1/calls', { key: t.key })).status).toBe(200)
    })
  })
})

test('the shipped infra/postgres/roles.sql is the rendered script', async () => {
  expect(await Bun.file(join(ROOT, 'infra/postgres/roles.sql')).text()).toBe(rolesSql({ database: 'masking' }))
})
