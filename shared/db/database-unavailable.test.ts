/**
 * A PostgreSQL that refuses connections (a database not accepting them, a role or server out of
 * connection slots) is an outage like any other: 503 `service_unavailable`, never a 500. The
 * errors come from a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { randomBase62 } from '../api-key'
import { Bus } from '../bus/bus'
import { InProcessTransport } from '../bus/in-process-transport'
import { request } from '../contracts/define'
import { Empty } from '../contracts/common'
import { PG_ADMIN_URL, probeInfra, IN_CI } from '../../tests/support/infra'
import { isDatabaseUnavailable } from './database'

const infra = await probeInfra()
if (!infra.postgres && IN_CI) throw new Error('PostgreSQL is required in CI')
if (!infra.postgres) console.warn('!!! database-unavailable.test.ts: no PostgreSQL at 127.0.0.1:5432, skipped')

const suffix = `${Date.now().toString(36)}_${randomBase62(6).toLowerCase()}`
const db = `masking_noconn_${suffix}`
const role = `masking_nolimit_${suffix}`
const admin = infra.postgres ? new SQL(PG_ADMIN_URL) : undefined

async function errorOf(url: string): Promise<unknown> {
  const c = new SQL(url)
  try {
    await c`select 1`
    return undefined
  } catch (e) {
    return e
  } finally {
    await c.close().catch(() => {})
  }
}

describe.skipIf(!infra.postgres)('database refusing connections → 503', () => {
  const errors: Record<string, unknown> = {}
  beforeAll(async () => {
    await admin!.unsafe(`create database ${db} allow_connections false`)
    await admin!.unsafe(`create role ${role} login connection limit 0`)
    const u = new URL(PG_ADMIN_URL)
    errors.notAccepting = await errorOf(`postgres://${u.username}@${u.host}/${db}`)
    errors.tooMany = await errorOf(`postgres://${role}@${u.host}/postgres`)
  })
  afterAll(async () => {
    await admin!.unsafe(`drop database if exists ${db}`)
    await admin!.unsafe(`drop role if exists ${role}`)
    await admin!.close()
  })

  test('"not currently accepting connections" and "too many connections" are outages', () => {
    expect(String((errors.notAccepting as Error).message)).toContain('not currently accepting connections')
    expect(String((errors.tooMany as Error).message)).toContain('too many connections')
    expect(isDatabaseUnavailable(errors.notAccepting)).toBe(true)
    expect(isDatabaseUnavailable(errors.tooMany)).toBe(true)
  })

  test('a handler that meets one answers 503 service_unavailable over the bus', async () => {
    const bus = new Bus(new InProcessTransport(), { prefix: `t_${suffix}`, service: 'probe' })
    const c = request('probe.db.query', Empty, Empty)
    for (const e of [errors.notAccepting, errors.tooMany]) {
      const stop = bus.serve(c, async () => {
        throw e
      })
      const err = await bus.request(c, {}, { requestId: 'req_t' }).catch((x) => x)
      expect(err).toMatchObject({ code: 'service_unavailable', status: 503 })
      await stop()
    }
    await bus.drain()
  })
})
