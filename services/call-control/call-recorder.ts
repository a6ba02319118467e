/**
 * The writer of one call's record. The call session reports what happens on the wire (ringing,
 * answered, ended) and goes on at once; the recorder writes each change in order, off the
 * signalling path (an INVITE is never held up by a database write), publishes
 * `calls.call.<status>` once a change is committed, and wakes the callback worker when a change
 * queued a callback. Transient database errors are retried; a change that still cannot be
 * written is logged, and the stale-call sweeper closes the record later.
 */
import type { Bus } from '../../shared/bus/bus'
import { callEvents, type CallRecord } from '../../shared/contracts/calls'
import type { Db } from '../../shared/db/database'
import type { Logger } from '../../shared/log'
import type { CallChange, EndStatus } from './call-state'
import { draftRow, insertCall, loadCall, toRecord, writeChange, type CallRow, type NewCallRow } from './call-store'

export interface RecorderDeps {
  db: Db
  bus: Bus
  log: Logger
  /** A callback delivery was queued. */
  onCallbackQueued(): void
}

/** What a call session reports; the recorder writes it, tests may just collect it. */
export interface CallReport {
  ringing(at?: Date): void
  answered(at?: Date): void
  ended(status: EndStatus, reason: string, at?: Date): void
}

const RETRIES = 5

export class CallRecorder implements CallReport {
  private row: CallRow
  private chain: Promise<void>

  private constructor(
    private readonly deps: RecorderDeps,
    values: NewCallRow,
  ) {
    this.row = draftRow(values)
    this.chain = Promise.resolve()
  }

  /** Starts recording a call; the insert is queued (inbound: the INVITE goes out meanwhile). */
  static begin(deps: RecorderDeps, values: NewCallRow): CallRecorder {
    const r = new CallRecorder(deps, values)
    r.chain = r.insert(values, false).then(
      () => undefined,
      () => undefined,
    )
    return r
  }

  /** Starts recording and waits until the record is committed (originate answers after this). */
  static async create(deps: RecorderDeps, values: NewCallRow): Promise<CallRecorder> {
    const r = new CallRecorder(deps, values)
    const done = r.insert(values, true)
    r.chain = done.then(
      () => undefined,
      () => undefined,
    )
    await done
    return r
  }

  get id(): string {
    return this.row.id
  }

  /** The record as last written (or about to be). */
  get record(): CallRecord {
    return toRecord(this.row)
  }

  /** Resolves when every change reported so far is written (or given up). */
  flushed(): Promise<void> {
    return this.chain
  }

  ringing(at = new Date()): void {
    this.enqueue({ kind: 'ringing', at })
  }

  answered(at = new Date()): void {
    this.enqueue({ kind: 'answered', at })
  }

  ended(status: EndStatus, reason: string, at = new Date()): void {
    this.enqueue({ kind: 'ended', status, reason, at })
  }

  private enqueue(change: CallChange): void {
    this.chain = this.chain.then(() => this.apply(change))
  }

  private async insert(values: NewCallRow, rethrow: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { row, delivery } = await insertCall(this.deps.db, { ...values, createdAt: this.row.createdAt })
        this.row = row
        this.published(delivery)
        return
      } catch (err) {
        if (rethrow || attempt >= RETRIES) {
          this.deps.log.error({ err, call_id: values.id }, 'could not record a new call')
          throw err
        }
        await Bun.sleep(50 * 2 ** attempt)
      }
    }
  }

  private async apply(change: CallChange): Promise<void> {
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      try {
        const r = await writeChange(this.deps.db, this.row, change)
        if (r.outcome === 'ignored') return
        if (r.outcome === 'applied') {
          this.row = r.row
          this.published(r.delivery)
          return
        }
        // Someone else changed the row (the sweeper, or our insert never landed): reload and retry.
        const fresh = await loadCall(this.deps.db, this.row.id)
        if (!fresh) {
          this.deps.log.warn({ call_id: this.row.id, change: change.kind }, 'call record missing; change not recorded')
          return
        }
        this.row = fresh
      } catch (err) {
        if (attempt === RETRIES) {
          this.deps.log.error({ err, call_id: this.row.id, change: change.kind }, 'could not record a call change')
          return
        }
        await Bun.sleep(50 * 2 ** attempt)
      }
    }
  }

  private published(delivery: boolean): void {
    this.deps.bus.publish(callEvents[this.row.status], toRecord(this.row), { tenantId: this.row.tenantId })
    if (delivery) this.deps.onCallbackQueued()
  }
}
