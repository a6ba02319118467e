/**
 * Writes call records in batches: every insert and state change queued while the previous batch
 * was being written goes out together in one transaction (one multi-row INSERT, one UPDATE …
 * FROM (VALUES …), one INSERT of the callbacks they owe). At a few hundred calls a second this
 * turns several commits per call into a fraction of one, which keeps PostgreSQL (shared with the
 * routing lookups on the signalling path) fast; when idle a write goes out on the next tick.
 *
 * Guarantees kept per row: a change is written only over the state its writer saw (`status =
 * expected`), and its callback rows commit with it or not at all. An insert is idempotent (a retry
 * after an ambiguous commit does not fail the batch).
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../shared/db/database'
import type { Logger } from '../../shared/log'
import type { CallRow, NewDeliveryRow } from './call-store'
import { callbackDeliveries } from './db/schema'
import { recordBatches, recordBatchSize } from './metrics'

type Op =
  | { kind: 'insert'; row: CallRow; deliveries: NewDeliveryRow[]; done(applied: boolean): void; fail(e: unknown): void }
  | { kind: 'update'; before: CallRow; after: CallRow; deliveries: NewDeliveryRow[]; done(applied: boolean): void; fail(e: unknown): void }

const MAX_BATCH = 500
const ts = (d: Date | null) => (d ? d.toISOString() : null)

/** A Postgres array literal for a text[] parameter (the same text on bun-sql and PGlite). */
export function textArray(items: string[] | null): string | null {
  if (!items) return null
  return `{${items.map((i) => `"${i.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`
}

function rowsOf(result: unknown): { id: string }[] {
  return (Array.isArray(result) ? result : (result as { rows: { id: string }[] }).rows) as { id: string }[]
}

export class CallWriter {
  private queue: Op[] = []
  private flushing: Promise<void> | undefined
  private scheduled = false

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    /** Called after a batch that queued callbacks has committed. */
    private readonly onDeliveries: () => void = () => undefined,
  ) {}

  /** Inserts a new call; false when it already existed (an earlier attempt committed). */
  insert(row: CallRow, deliveries: NewDeliveryRow[]): Promise<boolean> {
    return new Promise((done, fail) => this.push({ kind: 'insert', row, deliveries, done, fail }))
  }

  /** Writes `after` over `before`; false when the row is no longer in `before`'s state. */
  update(before: CallRow, after: CallRow, deliveries: NewDeliveryRow[]): Promise<boolean> {
    return new Promise((done, fail) => this.push({ kind: 'update', before, after, deliveries, done, fail }))
  }

  /** Resolves once everything queued so far is written. */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing) {
      this.kick()
      await this.flushing
    }
  }

  private push(op: Op): void {
    this.queue.push(op)
    this.kick()
  }

  private kick(): void {
    if (this.scheduled || this.flushing || !this.queue.length) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined
        this.kick()
      })
    })
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH)
    if (!batch.length) return
    const started = performance.now()
    recordBatchSize.observe(batch.length)
    try {
      const applied = await this.write(batch)
      recordBatches.observe((performance.now() - started) / 1000)
      let deliveries = false
      for (const op of batch) {
        const key = op.kind === 'insert' ? op.row.id : op.after.id
        const ok = applied.has(key)
        if (ok && op.deliveries.length) deliveries = true
        op.done(ok)
      }
      if (deliveries) this.onDeliveries()
    } catch (err) {
      this.log.warn({ err, ops: batch.length }, 'call record batch failed; its writers retry')
      for (const op of batch) op.fail(err)
    }
  }

  /** One transaction for the batch; returns the ids of the rows written. */
  private async write(batch: Op[]): Promise<Set<string>> {
    const inserts = batch.filter((o): o is Extract<Op, { kind: 'insert' }> => o.kind === 'insert')
    const updates = batch.filter((o): o is Extract<Op, { kind: 'update' }> => o.kind === 'update')
    return this.db.transaction(async (tx) => {
      const written = new Set<string>()
      if (inserts.length) {
        // Raw VALUES rather than the query builder: mapping 22 columns per row through drizzle
        // cost more CPU than the rest of a call's record keeping.
        const values = sql.join(
          inserts.map(
            ({ row: r }) =>
              sql`(${r.id}::text, ${r.tenantId}::text, ${r.sessionId}::text, ${r.orderId}::text, ${r.direction}::text, ${r.status}::text, ${r.fromParty}::text, ${r.toParty}::text, ${r.fromPhone}::text, ${r.toPhone}::text, ${r.maskedE164}::text, ${r.billId}::text, ${r.stateCallback}::text, ${textArray(r.stateCallbackEvents)}::text[], ${r.callbackSeq}::int, ${r.sipCallId}::text, ${ts(r.createdAt)}::timestamptz, ${ts(r.ringingAt)}::timestamptz, ${ts(r.answeredAt)}::timestamptz, ${ts(r.endedAt)}::timestamptz, ${r.durationSeconds}::int, ${r.endReason}::text)`,
          ),
          sql`, `,
        )
        const result = await tx.execute(sql`
          insert into calls.calls (id, tenant_id, session_id, order_id, direction, status, from_party, to_party, from_phone, to_phone,
            masked_e164, bill_id, state_callback, state_callback_events, callback_seq, sip_call_id, created_at, ringing_at, answered_at,
            ended_at, duration_seconds, end_reason)
          values ${values}
          on conflict (id) do nothing
          returning id`)
        for (const r of rowsOf(result)) written.add(r.id)
      }
      if (updates.length) {
        const values = sql.join(
          updates.map(
            ({ before: b, after: a }) =>
              sql`(${a.id}::text, ${b.status}::text, ${a.status}::text, ${ts(a.ringingAt)}::timestamptz, ${ts(a.answeredAt)}::timestamptz, ${ts(a.endedAt)}::timestamptz, ${a.durationSeconds}::int, ${a.endReason}::text, ${a.callbackSeq}::int)`,
          ),
          sql`, `,
        )
        const result = await tx.execute(sql`
          update calls.calls as c set
            status = v.status, ringing_at = v.ringing_at, answered_at = v.answered_at, ended_at = v.ended_at,
            duration_seconds = v.duration_seconds, end_reason = v.end_reason, callback_seq = v.callback_seq
          from (values ${values}) as v(id, expected, status, ringing_at, answered_at, ended_at, duration_seconds, end_reason, callback_seq)
          where c.id = v.id and c.status = v.expected
          returning c.id`)
        for (const r of rowsOf(result)) written.add(r.id)
      }
      const deliveries = batch.filter((o) => o.deliveries.length && written.has(o.kind === 'insert' ? o.row.id : o.after.id)).flatMap((o) => o.deliveries)
      if (deliveries.length) await tx.insert(callbackDeliveries).values(deliveries)
      return written
    })
  }
}
