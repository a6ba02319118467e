/**
 * Records that can no longer be live: an instance that crashed mid-call never wrote their end.
 * Once a call is older than any call can be (ring time for two legs + MAX_CALL_SECONDS + a
 * margin) and no local session owns it, it is closed as `lost` (answered ones as `completed`),
 * with its callback. The conditional update makes this safe beside the rightful writer.
 */
import type { Bus } from '../../shared/bus/bus'
import { callEvents } from '../../shared/contracts/calls'
import type { Db } from '../../shared/db/database'
import type { IdempotencyStore } from '../../shared/idempotency'
import type { Logger } from '../../shared/log'
import { callIdAt, staleCalls, toRecord } from './call-queries'
import { foldChanges, type CallRow } from './call-state'
import type { CallWriter } from './call-writer'

const BATCH = 200
/** How far back a starting instance looks for calls left open (by an earlier crash). */
const LOOKBACK_MS = 86_400_000

export class StaleCallSweeper {
  private timer: ReturnType<typeof setInterval> | undefined
  private lastPurge = 0
  /** Ids up to here have been swept; at start, a day before the oldest a live call can be. */
  private cursor: string
  private running: Promise<void> | undefined

  constructor(
    private readonly o: {
      db: Db
      writer: CallWriter
      bus: Bus
      log: Logger
      maxAgeMs: number
      /** MAX_CALL_SECONDS: a lost answered call is taken to have run at most this long. */
      maxCallMs: number
      isLocal(callId: string): boolean
      idempotency?: IdempotencyStore
      everyMs?: number
    },
  ) {
    this.cursor = callIdAt(new Date(Date.now() - o.maxAgeMs - LOOKBACK_MS))
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.o.everyMs ?? 60_000)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  sweep(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined))
    return this.running
  }

  private async run(): Promise<void> {
    try {
      const before = callIdAt(new Date(Date.now() - this.o.maxAgeMs))
      for (;;) {
        const rows = await staleCalls(this.o.db, this.cursor, before, BATCH)
        for (const row of rows) await this.close(row)
        // Everything older than `before` has been looked at once; later sweeps start from there.
        this.cursor = rows.length === BATCH ? rows.at(-1)!.id : before
        if (rows.length < BATCH) break
      }
      if (this.o.idempotency && Date.now() - this.lastPurge > 3600_000) {
        this.lastPurge = Date.now()
        await this.o.idempotency.purge()
      }
    } catch (err) {
      this.o.log.warn({ err }, 'stale call sweep failed; will retry')
    }
  }

  private async close(row: CallRow): Promise<void> {
    if (this.o.isLocal(row.id)) return
    const at = new Date(Math.min(Date.now(), (row.answeredAt ?? row.createdAt).getTime() + this.o.maxCallMs))
    const { after, steps, deliveries } = foldChanges(row, [{ kind: 'ended', status: 'failed', reason: 'lost (call-control stopped before the call ended)', at }])
    if (!steps.length || !(await this.o.writer.update(row, after, deliveries))) return
    this.o.log.warn({ call_id: row.id, status: after.status }, 'closed a call record left open')
    this.o.bus.publish(callEvents[after.status], toRecord(after))
  }
}
