/**
 * Where the tests find NATS and PostgreSQL. Integration and e2e tests use the real ones; where
 * they are not reachable the suite falls back to the embedded ones (in-process bus, PGlite) and
 * says so, except under CI=true, where a missing dependency fails the run.
 */
import { connect as netConnect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { SQL } from 'bun'
import { randomBase62 } from '../../shared/api-key'

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const s = netConnect({ host: u.hostname, port: Number(u.port || defaultPort) })
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    setTimeout(() => done(false), 1000)
  })
}

export interface Infra {
  postgres: boolean
  nats: boolean
}

let probed: Promise<Infra> | undefined
export function probeInfra(): Promise<Infra> {
  probed ??= (async () => {
    const [postgres, nats] = await Promise.all([reachable(PG_ADMIN_URL, 5432), reachable(NATS_URL, 4222)])
    return { postgres, nats }
  })()
  return probed
}

/** A unique prefix so runs sharing one NATS server never see each other's subjects. */
export function uniquePrefix(label = 't'): string {
  return `${label}_${Date.now().toString(36)}_${randomBase62(6)}`
}

export interface TestDatabase {
  url?: string
  dataDir?: string
  drop(): Promise<void>
}

/** A fresh, empty database: a new PostgreSQL database, or a fresh PGlite folder as fallback. */
export async function freshDatabase(): Promise<TestDatabase> {
  const infra = await probeInfra()
  if (!infra.postgres) {
    const dir = `/tmp/masking-test-${randomBase62(8)}`
    return { dataDir: dir, drop: async () => void (await Bun.$`rm -rf ${dir}`.quiet().nothrow()) }
  }
  const name = `masking_test_${Date.now().toString(36)}_${randomBase62(6).toLowerCase()}`
  const admin = new SQL(PG_ADMIN_URL)
  await admin.unsafe(`create database ${name}`)
  await admin.close()
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`)
  return {
    url,
    async drop() {
      const a = new SQL(PG_ADMIN_URL)
      await a.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined)
      await a.close()
    },
  }
}

/** Environment for services under test: real NATS/Postgres where reachable. */
export async function testEnv(db: TestDatabase, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const infra = await probeInfra()
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    BUS_PREFIX: uniquePrefix(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ADMIN_TOKEN: `adm_${randomBase62(32)}`,
    // Parallel runs must not fight over the gateway's ops port.
    OPS_PORT: '0',
    SECRETS_KEY: randomBytes(32).toString('base64'),
  }
  delete env.DATABASE_URL
  delete env.NATS_URL
  if (db.url) env.DATABASE_URL = db.url
  else env.DATA_DIR = db.dataDir!
  if (infra.nats) env.NATS_URL = NATS_URL
  return { ...env, ...extra }
}
