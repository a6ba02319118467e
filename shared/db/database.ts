/**
 * The database under every service: drizzle on PostgreSQL (Bun's native SQL client) when
 * `DATABASE_URL` is set, else PGlite (PostgreSQL in WASM) under `DATA_DIR`: same SQL, same
 * migrations. Each service owns one Postgres schema and applies its own migrations at start.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { sql, type SQL } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'

export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  readonly kind: 'postgres' | 'pglite'
  readonly db: Db
  /** Runs raw SQL and returns its rows, whatever the driver's result shape. */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>
  ping(): Promise<void>
  close(): Promise<void>
  migrate(service: string, folder: string): Promise<void>
}

export async function openDatabase(opts: { url?: string; dataDir?: string; poolMax?: number }): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolMax ?? 10) : openPglite(opts.dataDir ?? './data')
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const { SQL: BunSQL } = await import('bun')
  const { drizzle } = await import('drizzle-orm/bun-sql')
  const { migrate } = await import('drizzle-orm/bun-sql/migrator')
  const client = new BunSQL({ url, max, idleTimeout: 30, connectionTimeout: 5 })
  const db = drizzle({ client }) as unknown as Db
  const rows = async <T>(q: SQL) => (await db.execute(q)) as unknown as T[]
  return {
    kind: 'postgres',
    db,
    rows,
    ping: async () => void (await rows(sql`select 1`)),
    close: () => client.close({ timeout: 5 }),
    // Replicas may start together: one migrates at a time, under an advisory lock held on a
    // reserved connection (a pool would run the lock and the migration on different ones).
    async migrate(service, folder) {
      const conn = await client.reserve()
      try {
        await conn.unsafe(`select pg_advisory_lock(hashtext('masking:migrate:${service}'))`)
        await migrate(drizzle({ client: conn as unknown as InstanceType<typeof BunSQL> }) as never, migrationsOptions(service, folder))
      } finally {
        await conn.unsafe(`select pg_advisory_unlock(hashtext('masking:migrate:${service}'))`).catch(() => undefined)
        conn.release()
      }
    },
  }
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  const { migrate } = await import('drizzle-orm/pglite/migrator')
  const dir = dataDir === 'memory://' ? dataDir : join(dataDir, 'pglite')
  if (dir !== 'memory://') mkdirSync(dir, { recursive: true })
  const client = await PGlite.create(dir)
  const db = drizzle({ client }) as unknown as Db
  const rows = async <T>(q: SQL) => ((await db.execute(q)) as unknown as { rows: T[] }).rows
  return {
    kind: 'pglite',
    db,
    rows,
    ping: async () => void (await rows(sql`select 1`)),
    close: () => client.close(),
    migrate: (service, folder) => migrate(db as never, migrationsOptions(service, folder)),
  }
}

/** Each service keeps its own migration journal, so services migrate independently. */
function migrationsOptions(service: string, folder: string) {
  return { migrationsFolder: folder, migrationsSchema: 'drizzle', migrationsTable: `${service.replace(/-/g, '_')}_migrations` }
}

/** The SQLSTATE of a driver error (bun-sql, PGlite and postgres-js all nest it differently). */
export function pgCode(e: unknown): string | undefined {
  let cur: unknown = e
  for (let depth = 0; cur && depth < 5; depth++) {
    const o = cur as { errno?: unknown; code?: unknown; cause?: unknown }
    for (const v of [o.errno, o.code]) if (typeof v === 'string' && /^[0-9A-Z]{5}$/.test(v)) return v
    cur = o.cause
  }
  return undefined
}

export const isUniqueViolation = (e: unknown) => pgCode(e) === '23505'

/**
 * True when the database could not be reached (down, restarting, connection dropped, refusing
 * connections, out of connection slots), as opposed to a query that failed: callers answer 503
 * and the client retries, instead of a 500. SQLSTATE classes 08 (connection exception) and 53
 * (insufficient resources: too many connections, out of memory, disk full), 57P01-57P05
 * (shutdown, starting up, idle timeouts), and 55000 for a database not accepting connections.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  let cur: unknown = e
  for (let depth = 0; cur && depth < 6; depth++) {
    const o = cur as { code?: unknown; errno?: unknown; cause?: unknown; message?: unknown }
    const code = typeof o.code === 'string' ? o.code : ''
    if (/^ERR_POSTGRES_(CONNECTION|.*TIMEOUT|IDLE|LIFETIME)/.test(code) || /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(code)) return true
    const state = pgCode(o)
    if (state && (state.startsWith('08') || state.startsWith('53') || /^57P0[1-5]$/.test(state))) return true
    const message = typeof o.message === 'string' ? o.message : ''
    if (state === '55000' && /not currently accepting connections/i.test(message)) return true
    if (/connection (closed|refused|terminated)|failed to connect|too many clients|remaining connection slots|not accepting connections/i.test(message)) return true
    cur = o.cause
  }
  return false
}

/** The name of the constraint a unique violation hit, where the driver tells it. */
export function violatedConstraint(e: unknown): string | undefined {
  let cur: unknown = e
  for (let depth = 0; cur && depth < 5; depth++) {
    const o = cur as { constraint?: unknown; constraint_name?: unknown; cause?: unknown; detail?: unknown; message?: unknown }
    if (typeof o.constraint === 'string') return o.constraint
    if (typeof o.constraint_name === 'string') return o.constraint_name
    if (typeof o.message === 'string') {
      const m = /unique constraint "([^"]+)"/.exec(o.message)
      if (m) return m[1]
    }
    cur = o.cause
  }
  return undefined
}
