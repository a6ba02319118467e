/**
 * The writer of one call's record. The call session reports what happens on the wire (ringing,
 * answered, ended) and goes on at once; the recorder writes the changes in order, off the
 * signalling path (an INVITE never waits for a database write), folding together changes that
 * arrive while an earlier write is under way, and publishes `calls.call.<status>` for each
 * state once it is committed. Writes go through the shared batch writer (call-writer.ts).
 * Transient database errors are retried; a change that still cannot be written is logged, and
 * the stale-call sweeper closes the record later.
 */
import type { Bus } from '../../shared/bus/bus'
import { callEvents, type CallMediaStats, type CallRecord } from '../../shared/contracts/calls'
import type { Logger } from '../../shared/log'
import { retry } from '../../shared/async'
import { type CallChange, type EndStatus, foldChanges, planInsert, type CallRow, type NewCallRow, type NewDeliveryRow } from './call-state'
import { loadCall, toRecord } from './call-queries'
import type { CallWriter } from './call-writer'
import type { Db } from '../../shared/db/database'

export interface RecorderDeps {
  db: Db
  bus: Bus
  log: Logger
  writer: CallWriter
}

/** What a call session reports; the recorder writes it, tests may just collect it. */
export interface CallReport {
  ringing(at?: Date): void
  answered(at?: Date): void
  /** The call is over; `media` is rtpengine's figures for it, when it was anchored. */
  ended(status: EndStatus, reason: string, at?: Date, media?: CallMediaStats): void
}

const RETRIES = 6

export class CallRecorder implements CallReport {
  private row: CallRow
  private pending: CallChange[] = []
  private writing: Promise<void> | undefined
  private inserted: Promise<void>
  /** Set once the insert's batch has taken the row: the states it wrote (published once committed) and the callbacks with them. */
  private insertedSteps: CallRow[] | undefined
  private insertDeliveries: NewDeliveryRow[] = []

  private constructor(
    private readonly deps: RecorderDeps,
    values: NewCallRow,
    rethrow: boolean,
  ) {
    const { row, deliveries } = planInsert(values)
    this.row = row
    this.inserted = this.insert(row, deliveries, rethrow)
  }

  /** Starts recording a call; the insert is queued (inbound: the INVITE goes out meanwhile). */
  static begin(deps: RecorderDeps, values: NewCallRow): CallRecorder {
    const r = new CallRecorder(deps, values, false)
    r.inserted = r.inserted.catch(() => undefined)
    return r
  }

  /** Starts recording and waits until the record is committed (originate answers after this). */
  static async create(deps: RecorderDeps, values: NewCallRow): Promise<CallRecorder> {
    const r = new CallRecorder(deps, values, true)
    await r.inserted
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
  async flushed(): Promise<void> {
    await this.inserted
    while (this.writing || this.pending.length) {
      this.pump()
      await this.writing
    }
  }

  ringing(at = new Date()): void {
    this.report({ kind: 'ringing', at })
  }

  answered(at = new Date()): void {
    this.report({ kind: 'answered', at })
  }

  ended(status: EndStatus, reason: string, at = new Date(), media?: CallMediaStats): void {
    this.report({ kind: 'ended', status, reason, at, ...(media ? { media } : {}) })
  }

  private report(change: CallChange): void {
    this.pending.push(change)
    this.pump()
  }

  private pump(): void {
    if (this.writing || !this.pending.length) return
    this.writing = this.inserted
      .then(() => this.writePending())
      .finally(() => {
        this.writing = undefined
        this.pump()
      })
  }

  private async insert(row: CallRow, deliveries: Parameters<CallWriter['insert']>[1], rethrow: boolean): Promise<void> {
    try {
      await retry(async () => {
        if (rethrow) {
          // Someone waits for this one (originate answers once it is written): no gathering.
          await this.deps.writer.insert(row, deliveries, { urgent: true })
          this.insertedSteps = [row]
        } else if (!this.insertedSteps) {
          // Changes reported until the batch goes out are written with the insert.
          await this.deps.writer.insertLate(row, () => this.takeForInsert(row, deliveries))
        } else {
          // A retry writes what the first attempt took (it may have committed after all).
          await this.deps.writer.insert(this.row, this.insertDeliveries)
        }
        this.publish(this.insertedSteps!)
      }, { attempts: rethrow ? 1 : RETRIES, baseDelayMs: 50 })
    } catch (err) {
      this.deps.log.error({ err, call_id: row.id }, 'could not record a new call')
      throw err
    }
  }

  /** The new row with every change reported so far folded in (called when the insert's batch goes out). */
  private takeForInsert(row: CallRow, deliveries: NewDeliveryRow[]) {
    const changes = this.pending.splice(0)
    const folded = foldChanges(row, changes)
    this.row = folded.after
    this.insertedSteps = [row, ...folded.steps]
    this.insertDeliveries = [...deliveries, ...folded.deliveries]
    return { row: folded.after, deliveries: this.insertDeliveries }
  }

  /** Writes every change reported so far as one step from the current row. */
  private async writePending(): Promise<void> {
    const changes = this.pending.splice(0)
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      const { after, steps, deliveries } = foldChanges(this.row, changes)
      if (!steps.length) return
      try {
        if (await this.deps.writer.update(this.row, after, deliveries)) {
          this.row = after
          this.publish(steps)
          return
        }
        // The row moved on without us (the sweeper closed it): take it as it is and re-apply.
        const fresh = await loadCall(this.deps.db, this.row.id)
        if (!fresh) {
          this.deps.log.warn({ call_id: this.row.id }, 'call record missing; changes not recorded')
          return
        }
        this.row = fresh
      } catch (err) {
        if (attempt === RETRIES) {
          this.deps.log.error({ err, call_id: this.row.id, changes: changes.map((c) => c.kind) }, 'could not record call changes')
          return
        }
        await Bun.sleep(50 * 2 ** attempt)
      }
    }
  }

  private publish(steps: CallRow[]): void {
    // No headers: the record carries its tenant, and a header-less publish is cheaper for NATS.
    for (const s of steps) this.deps.bus.publish(callEvents[s.status], toRecord(s))
  }
}
