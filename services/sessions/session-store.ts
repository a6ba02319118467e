/**
 * Every SQL statement of the sessions service. Session time is this service's clock: `now` is
 * passed in, so "expired" means the same thing in a query, in a reply and in the route decision.
 * A session ends in one statement that also deletes its party rows, so the unique indexes only
 * ever see open sessions.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { Session, SessionListQuery } from '../../shared/contracts/sessions'
import { checkPageQuery, decodeCursor, knownTotal, listReply, TOTAL_CAP, type ListReply } from '../../shared/list-page'
import { violatedConstraint, isUniqueViolation, type Database } from '../../shared/db/database'
import { ANONYMISED_PHONE } from '../../shared/phone'
import { HOLDS_PHONES, idempotencyKeys, sessionParties, sessionPins, sessions } from './db/schema'
import { isLive } from './route-decision'

export type SessionRow = typeof sessions.$inferSelect
export type EndReason = NonNullable<SessionRow['endReason']>

/** The session as the API shows it: one past its `expires_at` is expired, swept or not. */
export function toSession(r: SessionRow, now = new Date()): Session {
  const lapsed = r.status === 'open' && !isLive(r, now)
  return {
    id: r.id,
    tenant_id: r.tenantId,
    order_id: r.orderId,
    driver_phone: r.driverPhone,
    customer_phone: r.customerPhone,
    masked_e164: r.maskedE164,
    status: lapsed ? 'expired' : r.status,
    ttl_minutes: r.ttlMinutes,
    created_at: r.createdAt.toISOString(),
    expires_at: r.expiresAt.toISOString(),
    ended_at: lapsed ? r.expiresAt.toISOString() : (r.endedAt?.toISOString() ?? null),
    end_reason: lapsed ? 'expired' : r.endReason,
    pin_required: r.pinRequired,
    pin_length: r.pinLength,
    driver_pin: r.driverPin,
    customer_pin: r.customerPin,
    call_time_limit_seconds: r.callTimeLimitSeconds,
    ring_timeout_seconds: r.ringTimeoutSeconds,
    greeting_prompt: r.greetingPrompt,
    record: r.record,
  }
}

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)))

/** Raw rows (`returning *`) to the typed row. */
function fromRaw(r: Record<string, unknown>): SessionRow {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    orderId: (r.order_id as string | null) ?? null,
    driverPhone: String(r.driver_phone),
    customerPhone: String(r.customer_phone),
    maskedE164: String(r.masked_e164),
    exclusive: Boolean(r.exclusive),
    status: r.status as SessionRow['status'],
    ttlMinutes: Number(r.ttl_minutes),
    createdAt: date(r.created_at),
    expiresAt: date(r.expires_at),
    endedAt: r.ended_at == null ? null : date(r.ended_at),
    endReason: (r.end_reason as SessionRow['endReason']) ?? null,
    pinRequired: Boolean(r.pin_required),
    pinLength: r.pin_length == null ? null : Number(r.pin_length),
    driverPin: (r.driver_pin as string | null) ?? null,
    customerPin: (r.customer_pin as string | null) ?? null,
    callTimeLimitSeconds: r.call_time_limit_seconds == null ? null : Number(r.call_time_limit_seconds),
    ringTimeoutSeconds: r.ring_timeout_seconds == null ? null : Number(r.ring_timeout_seconds),
    greetingPrompt: (r.greeting_prompt as string | null) ?? null,
    record: Boolean(r.record),
  }
}

const tsParam = (d: Date) => sql`${d.toISOString()}::timestamptz`
/**
 * A text[] as one parameter (a PostgreSQL array literal). The allocator asks about up to 4,096
 * numbers at once: one placeholder per element made drizzle build a 4,096-part query and the
 * driver prepare a new statement for each list length, which was most of the CPU of a create
 * on a nearly full pool (bench/RESULTS-scale.md part B).
 */
export const textArray = (values: readonly string[]) => sql`${arrayLiteral(values)}::text[]`
export const arrayLiteral = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`

/**
 * How a new session may share its number: `whole` – alone; `parties` – with sessions of other
 * phones (shared mode); `pin` – with other PIN sessions only (PINs tell the sessions apart).
 */
export type Guard = 'whole' | 'parties' | 'pin'

/**
 * "Number `n` is free for a new session of this tenant at `now`", as SQL. Party rows exist exactly
 * while their (caller-id) session is open, pin rows while their PIN session is, so together they
 * tell whether and how a number is in use (their indexes lead with it). A number carries either
 * caller-id sessions or PIN sessions, never both, so a call to it is routed one way.
 */
function freeCondition(n: SQL, tenantId: string, guard: Guard, phones: readonly [string, string], now: Date): SQL {
  const t = tsParam(now)
  const noParties = sql`not exists (select 1 from ${sessionParties} p where p.masked_e164 = ${n} and p.expires_at > ${t} and p.tenant_id = ${tenantId})`
  if (guard === 'pin') return noParties
  const noPins = sql`not exists (select 1 from ${sessionPins} q where q.masked_e164 = ${n} and q.expires_at > ${t} and q.tenant_id = ${tenantId})`
  if (guard === 'whole') return sql`${noParties} and ${noPins}`
  return sql`${noPins} and not exists (select 1 from ${sessions} x where x.masked_e164 = ${n} and x.status = 'open' and x.exclusive and x.expires_at > ${t} and x.tenant_id = ${tenantId})
    and not exists (select 1 from ${sessionParties} p where p.masked_e164 = ${n} and p.phone in (${phones[0]}, ${phones[1]}) and p.expires_at > ${t} and p.tenant_id = ${tenantId})`
}

/** Which insert constraint a create ran into. */
export type Conflict = 'number' | 'party' | 'order' | 'pin'

export class ConflictError extends Error {
  constructor(readonly conflict: Conflict) {
    super(`session insert conflict: ${conflict}`)
  }
}

function classify(e: unknown): Conflict | undefined {
  if (!isUniqueViolation(e)) return undefined
  const c = violatedConstraint(e)
  if (c === 'sessions_open_exclusive_number_uq') return 'number'
  if (c === 'session_parties_number_phone_uq') return 'party'
  if (c === 'sessions_open_order_uq') return 'order'
  if (c === 'session_pins_number_pin_uq') return 'pin'
  return undefined
}

export class SessionStore {
  constructor(private readonly database: Database) {}

  private get db() {
    return this.database.db
  }

  /**
   * Inserts the session and its two party rows in one statement if the number is free for it
   * (`guard`), and says whether it did. Free means, ignoring sessions past their expiry:
   * `whole` – no live session of this tenant on the number (exclusive mode, explicit numbers);
   * `parties` – no live exclusive session on it and neither phone a party of a live one (shared).
   * The check reads a snapshot, taken after the number's lock (below); the unique indexes decide
   * the races the lock lets through (`ConflictError`).
   */
  async insertIfFree(row: SessionRow, guard: Guard): Promise<boolean> {
    const free = freeCondition(sql`${row.maskedE164}::text`, row.tenantId, guard, [row.driverPhone, row.customerPhone], row.createdAt)
    // A PIN session's keys are its two PINs; a caller-id session's are its two phones.
    const keys = row.pinRequired
      ? sql`insert into ${sessionPins} (session_id, tenant_id, masked_e164, pin, party, expires_at)
          select id, tenant_id, masked_e164, driver_pin, 'driver', expires_at from s
          union all
          select id, tenant_id, masked_e164, customer_pin, 'customer', expires_at from s`
      : sql`insert into ${sessionParties} (session_id, tenant_id, masked_e164, phone, expires_at)
          select id, tenant_id, masked_e164, driver_phone, expires_at from s
          union all
          select id, tenant_id, masked_e164, customer_phone, expires_at from s`
    const insert = sql`
        with s as (
          insert into ${sessions} (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at,
                                   pin_required, pin_length, driver_pin, customer_pin, call_time_limit_seconds, ring_timeout_seconds, greeting_prompt, record)
          select ${row.id}, ${row.tenantId}, ${row.orderId}, ${row.driverPhone}, ${row.customerPhone}, ${row.maskedE164}, ${row.exclusive}, 'open',
                 ${row.ttlMinutes}, ${tsParam(row.createdAt)}, ${tsParam(row.expiresAt)},
                 ${row.pinRequired}, ${row.pinLength}::int, ${row.driverPin}::text, ${row.customerPin}::text, ${row.callTimeLimitSeconds}::int, ${row.ringTimeoutSeconds}::int, ${row.greetingPrompt}::text, ${row.record}
          where ${free}
          returning id, tenant_id, masked_e164, driver_phone, customer_phone, driver_pin, customer_pin, expires_at
        ), p as (
          ${keys}
        )
        select count(*)::int as n from s`
    try {
      const count = (rows: unknown) => Number(((Array.isArray(rows) ? rows : (rows as { rows: { n: number }[] }).rows)[0] as { n: number } | undefined)?.n ?? 0)
      // Creates of different kinds check different rows: an exclusive one "no live party or PIN row
      // on the number", a shared one "no exclusive session, neither phone a party", a PIN one "no
      // live party row". Each reads a snapshot without the other's row and no unique index spans
      // them, so in read committed both would commit (a caller-id and a PIN session on one number:
      // concurrency.test.ts). Every create takes the number's lock first (its own statement, so the
      // insert's snapshot comes after), which orders them.
      return await this.db.transaction(async (tx) => {
        // Shared creates do not exclude each other (the party index judges them): a shared lock;
        // exclusive and PIN creates exclude the other kinds: the exclusive lock.
        const key = sql`hashtextextended(${`sessions:number:${row.maskedE164}`}, 0)`
        await tx.execute(guard === 'parties' ? sql`select pg_advisory_xact_lock_shared(${key})` : sql`select pg_advisory_xact_lock(${key})`)
        return count(await tx.execute(insert)) > 0
      })
    } catch (e) {
      const c = classify(e)
      if (c) throw new ConflictError(c)
      throw e
    }
  }

  /** Of `candidates` (in order), up to `limit` that are free (as in `insertIfFree`). */
  async freeAmong(o: { tenantId: string; candidates: string[]; guard: Guard; phones: readonly [string, string]; now: Date; limit: number }): Promise<string[]> {
    if (o.candidates.length === 0) return []
    const rows = await this.database.rows<{ n: string }>(sql`
      select c.n from unnest(${textArray(o.candidates)}) with ordinality as c(n, ord)
      where ${freeCondition(sql`c.n`, o.tenantId, o.guard, o.phones, o.now)}
      order by c.ord limit ${o.limit}`)
    return rows.map((r) => r.n)
  }

  /** When each number last carried a session (for least-recently-used order). */
  async lastUsed(numbers: string[]): Promise<Map<string, number>> {
    if (numbers.length === 0) return new Map()
    const rows = await this.database.rows<{ n: string; at: unknown }>(sql`
      select c.n, (select s.created_at from ${sessions} s where s.masked_e164 = c.n order by s.created_at desc limit 1) as at
      from unnest(${textArray(numbers)}) as c(n)`)
    const out = new Map<string, number>()
    for (const r of rows) if (r.at != null) out.set(r.n, date(r.at).getTime())
    return out
  }

  /**
   * Ends the open sessions matching `where`: those past their expiry become `expired` (ended at
   * `expires_at`), the others end with `reason` at `now`. Returns them as they now are.
   */
  async endOpen(where: SQL, reason: EndReason, now: Date): Promise<SessionRow[]> {
    const t = tsParam(now)
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      with e as (
        update ${sessions} set
          status = case when expires_at <= ${t} then 'expired' else ${reason === 'expired' ? 'expired' : 'completed'} end,
          ended_at = case when expires_at <= ${t} then expires_at else ${t} end,
          end_reason = case when expires_at <= ${t} then 'expired' else ${reason} end
        where status = 'open' and ${where}
        returning *
      ), d as (
        delete from ${sessionParties} where session_id in (select id from e)
      ), q as (
        delete from ${sessionPins} where session_id in (select id from e)
      )
      select * from e`)
    return rows.map(fromRaw)
  }

  /**
   * A new life for an open, live session: `expires_at` moves to `expiresAt` (its party or pin rows
   * with it, so number sharing and routing follow at once) and the given limits change.
   * Undefined if it is not open and live at `now`.
   */
  async update(
    tenantId: string,
    id: string,
    change: { ttlMinutes?: number; expiresAt?: Date; callTimeLimitSeconds?: number | null; ringTimeoutSeconds?: number | null; greetingPrompt?: string | null },
    now: Date,
  ): Promise<SessionRow | undefined> {
    const sets: SQL[] = []
    if (change.expiresAt) sets.push(sql`expires_at = ${tsParam(change.expiresAt)}`, sql`ttl_minutes = ${change.ttlMinutes!}`)
    if (change.callTimeLimitSeconds !== undefined) sets.push(sql`call_time_limit_seconds = ${change.callTimeLimitSeconds}::int`)
    if (change.ringTimeoutSeconds !== undefined) sets.push(sql`ring_timeout_seconds = ${change.ringTimeoutSeconds}::int`)
    if (change.greetingPrompt !== undefined) sets.push(sql`greeting_prompt = ${change.greetingPrompt}::text`)
    if (sets.length === 0) sets.push(sql`id = id`)
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      with u as (
        update ${sessions} set ${sql.join(sets, sql`, `)}
        where id = ${id} and tenant_id = ${tenantId} and status = 'open' and expires_at > ${tsParam(now)}
        returning *
      ), p as (
        update ${sessionParties} set expires_at = u.expires_at from u where ${sessionParties}.session_id = u.id
      ), q as (
        update ${sessionPins} set expires_at = u.expires_at from u where ${sessionPins}.session_id = u.id
      )
      select * from u`)
    return rows[0] ? fromRaw(rows[0]) : undefined
  }

  /** Removes PIN rows of lapsed (not yet swept) sessions on a number, so their PINs can be reused; how many. */
  async clearLapsedPins(e164: string, now: Date): Promise<number> {
    const rows = await this.database.rows<{ n: number }>(sql`
      with d as (delete from ${sessionPins} where masked_e164 = ${e164} and expires_at <= ${tsParam(now)} returning 1)
      select count(*)::int as n from d`)
    return Number(rows[0]?.n ?? 0)
  }

  /** The live PIN session of this tenant on `to` whose driver or customer PIN is `pin`, with the party it names. */
  async byPin(tenantId: string, to: string, pin: string, now: Date): Promise<{ row: SessionRow; party: 'driver' | 'customer' } | undefined> {
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      select s.*, q.party as pin_party from ${sessionPins} q join ${sessions} s on s.id = q.session_id
      where q.masked_e164 = ${to} and q.pin = ${pin} and q.tenant_id = ${tenantId} and q.expires_at > ${tsParam(now)} and s.status = 'open'`)
    const r = rows[0]
    return r ? { row: fromRaw(r), party: r.pin_party as 'driver' | 'customer' } : undefined
  }

  /**
   * Clears what blocks a number for this tenant but should not: its sessions past their expiry
   * (not yet swept), and any other tenant's leftovers (the number was released and reassigned
   * while the release event was missed).
   */
  healNumber(tenantId: string, e164: string, now: Date): Promise<SessionRow[]> {
    return this.endOpen(sql`masked_e164 = ${e164} and (expires_at <= ${tsParam(now)} or tenant_id <> ${tenantId})`, 'number_released', now)
  }

  /** Expires this tenant's lapsed open session with the order id, if one blocks a new one. */
  expireLapsedOrder(tenantId: string, orderId: string, now: Date): Promise<SessionRow[]> {
    return this.endOpen(sql`tenant_id = ${tenantId} and order_id = ${orderId} and expires_at <= ${tsParam(now)}`, 'expired', now)
  }

  /** A released number: its tenant's open sessions on it end (`number_released`). */
  endForReleasedNumber(tenantId: string, e164: string, now: Date): Promise<SessionRow[]> {
    return this.endOpen(sql`tenant_id = ${tenantId} and masked_e164 = ${e164}`, 'number_released', now)
  }

  async openByOrder(tenantId: string, orderId: string): Promise<SessionRow | undefined> {
    const [r] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenantId, tenantId), eq(sessions.orderId, orderId), eq(sessions.status, 'open')))
      .limit(1)
    return r
  }

  /** By id, or else by order id (its newest session); only this tenant's. */
  async findByRef(tenantId: string, ref: string): Promise<SessionRow | undefined> {
    const [byId] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, ref), eq(sessions.tenantId, tenantId)))
    if (byId) return byId
    const [byOrder] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenantId, tenantId), eq(sessions.orderId, ref)))
      .orderBy(desc(sessions.id))
      .limit(1)
    return byOrder
  }

  /** Completes a live session; undefined if it was not live (ended, lapsed, or not this tenant's). */
  async complete(tenantId: string, id: string, now: Date): Promise<SessionRow | undefined> {
    const [r] = await this.endOpen(sql`id = ${id} and tenant_id = ${tenantId} and expires_at > ${tsParam(now)}`, 'completed', now)
    return r
  }

  expireOne(tenantId: string, id: string, now: Date): Promise<SessionRow[]> {
    return this.endOpen(sql`id = ${id} and tenant_id = ${tenantId} and expires_at <= ${tsParam(now)}`, 'expired', now)
  }

  /**
   * A page of this tenant's sessions, newest first (shared/list-page.ts). Each status is one
   * index range (`sessions_tenant_status_idx`, `sessions_tenant_order_idx`, `sessions_tenant_idx`);
   * `expired` also takes the few open sessions past their expiry the sweeper has not marked yet
   * (from the sweeper's own index), merged in id order.
   */
  async list(tenantId: string, q: SessionListQuery, now: Date): Promise<ListReply<Session>> {
    checkPageQuery(q)
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'ses_')
    const t = tsParam(now)
    const base = sql.join(
      [sql`tenant_id = ${tenantId}`, q.order_id === undefined ? undefined : sql`order_id = ${q.order_id}`].filter((c): c is SQL => c !== undefined),
      sql` and `,
    )
    const branches: SQL[] =
      q.status === 'all'
        ? [sql`true`]
        : q.status === 'open'
          ? [sql`status = 'open' and expires_at > ${t}`]
          : q.status === 'completed'
            ? [sql`status = 'completed'`]
            : [sql`status = 'expired'`, sql`status = 'open' and expires_at <= ${t}`]
    const window = q.offset + q.limit + 1
    const bound = after === undefined ? sql`` : sql` and id < ${after}`
    const parts = branches.map((b) => sql`(select * from ${sessions} where ${base} and ${b}${bound} order by id desc limit ${window})`)
    const rows = (
      await this.database.rows<Record<string, unknown>>(sql`select * from (${sql.join(parts, sql` union all `)}) s order by id desc limit ${q.limit + 1} offset ${q.offset}`)
    ).map(fromRaw)
    const counted =
      knownTotal(rows.length, q) ??
      Number(
        (
          await this.database.rows<{ n: number }>(
            sql`select count(*)::int as n from (${sql.join(
              branches.map((b) => sql`(select 1 from ${sessions} where ${base} and ${b} limit ${TOTAL_CAP + 1})`),
              sql` union all `,
            )}) c`,
          )
        )[0]?.n ?? 0,
      )
    return listReply(rows, q, counted, (r) => toSession(r, now))
  }

  /** For a call to `to` from `from`, in one round trip: the session `from` is a party of, and any one live session. */
  async routeCandidates(tenantId: string, to: string, from: string, now: Date): Promise<SessionRow[]> {
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      (select s.* from ${sessionParties} p join ${sessions} s on s.id = p.session_id
        where p.masked_e164 = ${to} and p.phone = ${from} and p.tenant_id = ${tenantId})
      union all
      (select s.* from ${sessionParties} p join ${sessions} s on s.id = p.session_id
        where p.masked_e164 = ${to} and p.tenant_id = ${tenantId} and p.expires_at > ${tsParam(now)} limit 1)
      union all
      (select s.* from ${sessionPins} q join ${sessions} s on s.id = q.session_id
        where q.masked_e164 = ${to} and q.tenant_id = ${tenantId} and q.expires_at > ${tsParam(now)} limit 1)`)
    return rows.map(fromRaw)
  }

  /** Open sessions not past their expiry at `now`, in the whole table (an index-only scan of `sessions_open_expiry_idx`). */
  async countOpen(now: Date): Promise<number> {
    const [r] = await this.database.rows<{ n: number }>(sql`select count(*)::int as n from ${sessions} where status = 'open' and expires_at > ${tsParam(now)}`)
    return Number(r?.n ?? 0)
  }

  /** Marks up to `batch` sessions past their expiry as expired; several sweepers skip each other's rows. */
  async sweep(now: Date, batch: number): Promise<SessionRow[]> {
    const t = tsParam(now)
    const rows = await this.database.rows<Record<string, unknown>>(sql`
      with due as (
        select id from ${sessions} where status = 'open' and expires_at <= ${t}
        order by expires_at limit ${batch} for update skip locked
      ), e as (
        update ${sessions} s set status = 'expired', ended_at = s.expires_at, end_reason = 'expired'
        from due where s.id = due.id
        returning s.*
      ), d as (
        delete from ${sessionParties} where session_id in (select id from e)
      ), q as (
        delete from ${sessionPins} where session_id in (select id from e)
      )
      select * from e`)
    return rows.map(fromRaw)
  }

  /**
   * Tenants with ended sessions that still hold a phone number: one index probe per tenant (a
   * loose scan of `sessions_phone_retention_idx`), whatever the number of rows.
   */
  async tenantsHoldingPhones(): Promise<string[]> {
    const rows = await this.database.rows<{ tenant_id: string | null }>(sql`
      with recursive t(tenant_id) as (
        (select tenant_id from ${sessions} where ${HOLDS_PHONES} order by tenant_id limit 1)
        union all
        select (select s.tenant_id from ${sessions} s where ${HOLDS_PHONES} and s.tenant_id > t.tenant_id order by s.tenant_id limit 1)
        from t where t.tenant_id is not null
      )
      select tenant_id from t where tenant_id is not null`)
    return rows.map((r) => r.tenant_id!)
  }

  /** Anonymises both phones of up to `batch` of the tenant's sessions that ended before `cutoff`; returns how many. */
  async anonymiseEndedBefore(tenantId: string, cutoff: Date, batch: number): Promise<number> {
    const [r] = await this.database.rows<{ n: number }>(sql`
      with due as (
        select id from ${sessions} where tenant_id = ${tenantId} and ${HOLDS_PHONES} and ended_at < ${tsParam(cutoff)}
        limit ${batch} for update skip locked
      ), a as (
        update ${sessions} s set driver_phone = ${ANONYMISED_PHONE}, customer_phone = ${ANONYMISED_PHONE} from due where s.id = due.id returning s.id
      )
      select count(*)::int as n from a`)
    return Number(r?.n ?? 0)
  }

  /** Ids of the tenant's open sessions with `phone` as a party (lapsed ones are swept first by the caller). */
  async openWithPhone(tenantId: string, phone: string): Promise<string[]> {
    const rows = await this.database.rows<{ id: string }>(
      sql`select id from ${sessions} where tenant_id = ${tenantId} and status = 'open' and (driver_phone = ${phone} or customer_phone = ${phone}) order by id limit 20`,
    )
    return rows.map((r) => r.id)
  }

  /**
   * Erasure: `phone` becomes ANONYMISED_PHONE in the tenant's ended sessions (the other party's
   * number stays), and stored Idempotency-Key replies carrying it are deleted. Scans the tenant's
   * rows (phones are not indexed, so creates stay cheap); erasures are rare.
   */
  async erasePhone(tenantId: string, phone: string): Promise<{ sessions: number; idempotency_records: number }> {
    const [r] = await this.database.rows<{ n: number }>(sql`
      with a as (
        update ${sessions} set
          driver_phone = case when driver_phone = ${phone} then ${ANONYMISED_PHONE} else driver_phone end,
          customer_phone = case when customer_phone = ${phone} then ${ANONYMISED_PHONE} else customer_phone end
        where tenant_id = ${tenantId} and status <> 'open' and (driver_phone = ${phone} or customer_phone = ${phone})
        returning id
      )
      select count(*)::int as n from a`)
    // Replies are stored as JSON text, so the number appears quoted ("+1…"): no prefix of a longer number matches.
    const idem = await this.db
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), sql`strpos(${idempotencyKeys.response}, ${JSON.stringify(phone)}) > 0`))
      .returning({ key: idempotencyKeys.key })
    return { sessions: Number(r?.n ?? 0), idempotency_records: idem.length }
  }
}
