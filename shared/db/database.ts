/**
 * The database under every service: drizzle on PostgreSQL (Bun's native SQL client) when
 * `DATABASE_URL` is set, else PGlite (PostgreSQL in WASM) under `DATA_DIR`: same SQL, same
 * migrations. Each service owns one Postgres schema and applies its own migrations at start.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { sql, type SQL } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
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

export async function openDatabase(opts: { url?: string; dataDir?: string; poolMax?: number; prepare?: boolean }): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolMax ?? 10, opts.prepare ?? true) : openPglite(opts.dataDir ?? './data')
}

/**
 * Works through a transaction-mode pooler (PgBouncer): every lock is transaction-scoped and
 * nothing relies on a session outliving its transaction. Named prepared statements are the one
 * exception, hence `prepare` (docs/operations.md, PgBouncer).
 */
async function openPostgres(url: string, max: number, prepare: boolean): Promise<Database> {
  const { SQL: BunSQL } = await import('bun')
  const { drizzle } = await import('drizzle-orm/bun-sql')
  // Bun's default left alone unless turned off: passing `prepare: true` explicitly changed its
  // behaviour under concurrent inserts here (tests/e2e/sessions.test.ts answered 503s).
  const client = new BunSQL({ url, max, idleTimeout: 30, connectionTimeout: 5, ...(prepare ? {} : { prepare: false }) })
  const db = drizzle({ client }) as unknown as Db
  const rows = async <T>(q: SQL) => (await db.execute(q)) as unknown as T[]
  return {
    kind: 'postgres',
    db,
    rows,
    ping: async () => void (await rows(sql`select 1`)),
    close: () => client.close({ timeout: 5 }),
    // Replicas may start together: one migrates at a time. The lock is transaction-scoped and the
    // whole migration one transaction, so it holds through a transaction-mode pooler too (a
    // session lock there lands on whichever server connection the statement got, and may never
    // be released).
    async migrate(service, folder) {
      const opts = migrationsOptions(service, folder)
      const journal = `"${opts.migrationsSchema}"."${opts.migrationsTable}"`
      await client.begin(async (tx) => {
        await tx.unsafe('select pg_advisory_xact_lock(hashtext($1))', [`masking:migrate:${service}`])
        await tx.unsafe(`create schema if not exists "${opts.migrationsSchema}"`)
        // drizzle's own journal layout, so databases migrated before keep their history.
        await tx.unsafe(`create table if not exists ${journal} (id serial primary key, hash text not null, created_at bigint)`)
        const [last] = (await tx.unsafe(`select created_at from ${journal} order by created_at desc limit 1`)) as { created_at: string }[]
        for (const m of readMigrationFiles(opts)) {
          if (last && Number(last.created_at) >= m.folderMillis) continue
          for (const stmt of m.sql) if (stmt.trim()) await tx.unsafe(stmt)
          await tx.unsafe(`insert into ${journal} (hash, created_at) values ($1, $2)`, [m.hash, m.folderMillis])
        }
      })
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
