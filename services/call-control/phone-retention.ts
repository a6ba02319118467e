/**
 * call-control's part of phone retention and erasure (issue 12, item 14): call records keep
 * their parties' numbers for the tenant's `phone_retention_days` after the call ends, then
 * `from_phone` / `to_phone` become ANONYMISED_PHONE, and so does the number in the call's stored
 * callback bodies (a `call.unmatched` callback carries the caller's number). An erasure does the
 * same at once for one number across the tenant's ended calls, and deletes stored
 * Idempotency-Key replies carrying it. A call still running is never touched (409
 * `phone_in_live_call` for an erasure): its legs need the numbers until it ends.
 *
 * Bodies are rewritten as text (the quoted number replaced), so nothing else in them changes;
 * a pending delivery is signed when sent, so a rewritten body is still signed as sent.
 */
import { sql } from 'drizzle-orm'
import { TERMINAL_STATUSES } from '../../shared/contracts/calls'
import type { Database } from '../../shared/db/database'
import { AppError } from '../../shared/errors'
import { ANONYMISED_PHONE } from '../../shared/phone'
import { retentionCutoff } from '../../shared/phone-retention'
import { callbackDeliveries, calls, HOLDS_PHONES, idempotencyKeys } from './db/schema'

const BATCH = 1000
const MARK = JSON.stringify(ANONYMISED_PHONE)
const count = (rows: { n: number }[]) => Number(rows[0]?.n ?? 0)

/** Tenants with ended calls still holding a phone: one probe of `calls_phone_retention_idx` per tenant. */
async function tenantsHoldingPhones(database: Database): Promise<string[]> {
  const rows = await database.rows<{ tenant_id: string | null }>(sql`
    with recursive t(tenant_id) as (
      (select tenant_id from ${calls} where ${HOLDS_PHONES} order by tenant_id limit 1)
      union all
      select (select c.tenant_id from ${calls} c where ${HOLDS_PHONES} and c.tenant_id > t.tenant_id order by c.tenant_id limit 1)
      from t where t.tenant_id is not null
    )
    select tenant_id from t where tenant_id is not null`)
  return rows.map((r) => r.tenant_id!)
}

/** Up to `batch` of the tenant's calls that ended before `cutoff`: both numbers, and their callbacks' copies, anonymised. */
async function anonymiseEndedBefore(database: Database, tenantId: string, cutoff: Date, batch: number): Promise<number> {
  const rows = await database.rows<{ n: number }>(sql`
    with due as (
      select id, from_phone, coalesce(to_phone, from_phone) as to_phone from ${calls}
      where tenant_id = ${tenantId} and ${HOLDS_PHONES} and ended_at < ${cutoff.toISOString()}::timestamptz
      limit ${batch} for update skip locked
    ), cb as (
      update ${callbackDeliveries} d
      set body = replace(replace(d.body, '"' || due.from_phone || '"', ${MARK}), '"' || due.to_phone || '"', ${MARK})
      from due where d.call_id = due.id and (strpos(d.body, '"' || due.from_phone || '"') > 0 or strpos(d.body, '"' || due.to_phone || '"') > 0)
      returning d.id
    ), a as (
      update ${calls} c set from_phone = ${ANONYMISED_PHONE}, to_phone = case when c.to_phone is null then null else ${ANONYMISED_PHONE} end
      from due where c.id = due.id
      returning c.id
    )
    select count(*)::int as n from a`)
  return count(rows)
}

/** One retention pass over every tenant holding phones in ended calls; returns how many calls it anonymised. */
export async function anonymiseCallsPastRetention(database: Database, daysOf: (tenantId: string) => Promise<number>, now: Date): Promise<number> {
  let total = 0
  for (const tenantId of await tenantsHoldingPhones(database)) {
    const cutoff = retentionCutoff(now, await daysOf(tenantId))
    for (;;) {
      const n = await anonymiseEndedBefore(database, tenantId, cutoff, BATCH)
      total += n
      if (n < BATCH) break
    }
  }
  return total
}

const terminal = sql.raw(TERMINAL_STATUSES.map((s) => `'${s}'`).join(', '))

/** Erasure: `phone` anonymised in the tenant's ended calls and stored callbacks; replies carrying it deleted. Scans the tenant's rows (rare). */
export async function eraseCallPhone(database: Database, tenantId: string, phone: string): Promise<{ calls: number; callback_deliveries: number; idempotency_records: number }> {
  const live = await database.rows<{ id: string }>(
    sql`select id from ${calls} where tenant_id = ${tenantId} and status not in (${terminal}) and (from_phone = ${phone} or to_phone = ${phone}) order by id limit 20`,
  )
  if (live.length) {
    throw new AppError('phone_in_live_call', `the number is a party of ${live.length} call(s) still running: retry once they have ended`, { extra: { call_ids: live.map((r) => r.id) } })
  }
  const quoted = JSON.stringify(phone)
  const [touched] = await database.rows<{ calls: number; deliveries: number; idem: number }>(sql`
    with a as (
      update ${calls} set
        from_phone = case when from_phone = ${phone} then ${ANONYMISED_PHONE} else from_phone end,
        to_phone = case when to_phone = ${phone} then ${ANONYMISED_PHONE} else to_phone end
      where tenant_id = ${tenantId} and status in (${terminal}) and (from_phone = ${phone} or to_phone = ${phone})
      returning id
    ), cb as (
      update ${callbackDeliveries} set body = replace(body, ${quoted}, ${MARK})
      where tenant_id = ${tenantId} and strpos(body, ${quoted}) > 0
      returning id
    ), i as (
      delete from ${idempotencyKeys} where tenant_id = ${tenantId} and strpos(response, ${quoted}) > 0
      returning key
    )
    select (select count(*) from a)::int as calls, (select count(*) from cb)::int as deliveries, (select count(*) from i)::int as idem`)
  return { calls: Number(touched?.calls ?? 0), callback_deliveries: Number(touched?.deliveries ?? 0), idempotency_records: Number(touched?.idem ?? 0) }
}
