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
import { foldChanges, staleCalls, toRecord } from './call-store'
import type { CallWriter } from './call-writer'

export class StaleCallSweeper {
  private timer: ReturnType<typeof setInterval> | undefined
  private lastPurge = 0
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
  ) {}

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
      const rows = await staleCalls(this.o.db, new Date(Date.now() - this.o.maxAgeMs))
      for (const row of rows) {
        if (this.o.isLocal(row.id)) continue
        const at = new Date(Math.min(Date.now(), (row.answeredAt ?? row.createdAt).getTime() + this.o.maxCallMs))
        const { after, steps, deliveries } = foldChanges(row, [{ kind: 'ended', status: 'failed', reason: 'lost (call-control stopped before the call ended)', at }])
        if (!steps.length || !(await this.o.writer.update(row, after, deliveries))) continue
        this.o.log.warn({ call_id: row.id, status: after.status }, 'closed a call record left open')
        this.o.bus.publish(callEvents[after.status], toRecord(after), { tenantId: after.tenantId })
      }
      if (this.o.idempotency && Date.now() - this.lastPurge > 3600_000) {
        this.lastPurge = Date.now()
        await this.o.idempotency.purge()
      }
    } catch (err) {
      this.o.log.warn({ err }, 'stale call sweep failed; will retry')
    }
  }
}
