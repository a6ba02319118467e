/**
 * `Idempotency-Key` for any command a service serves: the same key with the same request within
 * the window (24 h) answers the first response again, the same key with another request is a 422
 * `idempotency_key_reused`. Each service keeps the records in its own schema:
 *
 *   export const idempotencyKeys = idempotencyTable(mySchema)          // db/schema.ts
 *   const idem = new IdempotencyStore(db, idempotencyKeys)
 *   bus.serve(c, (req, ctx) => idem.run({ tenantId, key: ctx.idempotencyKey, operation: c.subject, request: req }, () => work(req)))
 *
 * How it holds under concurrency: the first request inserts a `pending` row (primary key
 * tenant + key), so a concurrent twin finds it and waits for the outcome instead of running the
 * work again. Answers are stored as they went to the client: successes and 4xx errors (the
 * client's problem, deterministic); a 5xx or unexpected failure drops the row so a retry runs
 * afresh. A `pending` row older than the lock timeout (a crashed worker) may be taken over.
 */
import { createHash } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { index, primaryKey, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core'
import type { Db } from './db/database'
import { AppError, isAppError, type ValidationIssue } from './errors'

/** The idempotency namespace of operator commands (no tenant id starts without `ten_`). */
export const OPERATOR = 'operator'

export function idempotencyTable(schema: PgSchema) {
  return schema.table(
    'idempotency_keys',
    {
      tenantId: text('tenant_id').notNull(),
      key: text('key').notNull(),
      /** What the key was used for (e.g. the bus subject); another operation is another request. */
      operation: text('operation').notNull(),
      /** SHA-256 of the canonical JSON of the request. */
      requestHash: text('request_hash').notNull(),
      state: text('state', { enum: ['pending', 'done'] }).notNull(),
      /** The stored answer, JSON text: `{"data": …}` or `{"error": {code, message, status, …}}`. */
      response: text('response'),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.tenantId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
  )
}

export type IdempotencyTable = ReturnType<typeof idempotencyTable>

export interface IdempotencyOptions {
  /** How long a key is remembered (default 24 h). */
  windowMs?: number
  /** After this, a `pending` row is presumed abandoned and may be taken over (default 30 s). */
  lockTimeoutMs?: number
  /** How long a concurrent twin waits for the first request's outcome before a 409 (default 1.5 s, under the bus timeout). */
  waitMs?: number
}

export interface IdempotentCall {
  tenantId: string
  /** The client's key; without one the work simply runs. */
  key?: string
  operation: string
  request: unknown
  /**
   * What to keep of a success for replays, when the first answer holds a secret that must not
   * be stored (a new API key's plaintext is shown once): the replay gets this instead.
   */
  storeAs?: (data: unknown) => unknown
}

type Stored = { data: unknown } | { error: { code: string; message: string; status: number; extra?: Record<string, unknown>; issues?: ValidationIssue[] } }

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`
}

export function requestHash(operation: string, request: unknown): string {
  return createHash('sha256').update(operation).update('\u0000').update(canonicalJson(request)).digest('hex')
}

export class IdempotencyStore {
  private readonly windowS: number
  private readonly lockS: number
  private readonly waitMs: number

  constructor(
    private readonly db: Db,
    private readonly table: IdempotencyTable,
    opts: IdempotencyOptions = {},
  ) {
    this.windowS = (opts.windowMs ?? 86_400_000) / 1000
    this.lockS = (opts.lockTimeoutMs ?? 30_000) / 1000
    this.waitMs = opts.waitMs ?? 1500
  }

  async run<T>(call: IdempotentCall, work: () => Promise<T>): Promise<T> {
    if (!call.key) return work()
    const keyed = { ...call, key: call.key }
    const hash = requestHash(call.operation, call.request)
    const started = Date.now()
    for (;;) {
      if (await this.claim(keyed, hash)) return this.execute(keyed, hash, work)
      const t = this.table
      const [row] = await this.db
        .select({ operation: t.operation, requestHash: t.requestHash, state: t.state, response: t.response })
        .from(t)
        .where(and(eq(t.tenantId, keyed.tenantId), eq(t.key, keyed.key)))
      if (!row) continue // dropped after a failure between our insert and select: claim again
      if (row.operation !== call.operation || row.requestHash !== hash) {
        throw new AppError('idempotency_key_reused', 'this Idempotency-Key was already used with a different request; use a new key for a new request')
      }
      if (row.state === 'done' && row.response) return replay<T>(JSON.parse(row.response) as Stored)
      if (Date.now() - started >= this.waitMs) {
        throw new AppError('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress; retry shortly')
      }
      await Bun.sleep(20)
    }
  }

  /** Removes records older than the window; returns how many. */
  async purge(): Promise<number> {
    const t = this.table
    const rows = await this.db.delete(t).where(sql`${t.createdAt} < now() - make_interval(secs => ${this.windowS})`).returning({ key: t.key })
    return rows.length
  }

  /** Inserts a fresh `pending` row, or takes over one that is past the window or abandoned. */
  private async claim(call: IdempotentCall & { key: string }, hash: string): Promise<boolean> {
    const t = this.table
    const fresh = { operation: call.operation, requestHash: hash, state: 'pending' as const, response: null }
    const inserted = await this.db
      .insert(t)
      .values({ tenantId: call.tenantId, key: call.key, ...fresh })
      .onConflictDoNothing()
      .returning({ key: t.key })
    if (inserted.length) return true
    // One statement, so two takers cannot both win: the second re-reads the updated row and no longer matches.
    const taken = await this.db
      .update(t)
      .set({ ...fresh, createdAt: sql`now()` })
      .where(
        and(
          eq(t.tenantId, call.tenantId),
          eq(t.key, call.key),
          sql`(${t.createdAt} < now() - make_interval(secs => ${this.windowS}) or (${t.state} = 'pending' and ${t.createdAt} < now() - make_interval(secs => ${this.lockS})))`,
        ),
      )
      .returning({ key: t.key })
    return taken.length > 0
  }

  private async execute<T>(call: IdempotentCall & { key: string }, hash: string, work: () => Promise<T>): Promise<T> {
    const t = this.table
    const mine = and(eq(t.tenantId, call.tenantId), eq(t.key, call.key), eq(t.requestHash, hash), eq(t.state, 'pending'))
    let result: T
    try {
      result = await work()
    } catch (e) {
      if (isAppError(e) && e.status < 500) {
        const error = { code: e.code, message: e.message, status: e.status, ...(e.extra ? { extra: e.extra } : {}), ...(e.issues ? { issues: e.issues } : {}) }
        await this.db.update(t).set({ state: 'done', response: JSON.stringify({ error }) }).where(mine)
      } else {
        await this.db
          .delete(t)
          .where(mine)
          .catch(() => undefined)
      }
      throw e
    }
    const stored = call.storeAs ? call.storeAs(result) : result
    await this.db
      .update(t)
      .set({ state: 'done', response: JSON.stringify({ data: stored }) })
      .where(mine)
    return result
  }
}

function replay<T>(stored: Stored): T {
  if ('error' in stored) {
    const e = stored.error
    throw new AppError(e.code, e.message, { status: e.status, extra: e.extra, issues: e.issues })
  }
  return stored.data as T
}
