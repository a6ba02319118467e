/**
 * Retention: recordings past their `delete_after` (the call's end + the tenant's
 * `recording_retention_days`) are marked deleted (reason `retention`, kept on the row: the audit
 * trail) and their audio removed. Marked first, removed second: a crash in between leaves an
 * object of a deleted row, which the next run removes (deleting twice is harmless).
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm'
import type { Db } from '../../../shared/db/database'
import type { Logger } from '../../../shared/log'
import { recordings } from '../db/schema'
import type { RecordingStore } from './recording-store'
import type { RecordingVault } from './recording-vault'

export class RetentionPurge {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<number> | undefined

  constructor(
    private readonly o: { db: Db; store: RecordingStore; vault: RecordingVault; log: Logger; intervalMs: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.o.log.warn({ err }, 'recording purge failed; will retry')), this.o.intervalMs)
    this.timer.unref?.()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running?.catch(() => undefined)
  }

  /** One pass; resolves with how many recordings it deleted. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined))
    return this.running
  }

  private async pass(now: Date): Promise<number> {
    let deleted = 0
    for (;;) {
      const due = await this.o.store.expired(now, 100)
      if (!due.length) break
      for (const r of due) {
        const marked = await this.o.store.markDeleted(r.id, { reason: 'retention' })
        if (!marked) continue
        if (marked.objectKey) await this.o.vault.delete(marked.objectKey)
        await this.o.store.clearObject(r.id)
        deleted++
        this.o.log.info({ recording_id: r.id, call_id: r.callId, tenant_id: r.tenantId, reason: 'retention', delete_after: r.deleteAfter?.toISOString() }, 'recording deleted')
      }
    }
    // Objects of rows deleted by a run that stopped between its mark and its removal.
    const orphans = await this.o.db
      .select({ id: recordings.id, objectKey: recordings.objectKey })
      .from(recordings)
      .where(and(eq(recordings.status, 'deleted'), isNotNull(recordings.objectKey), sql`deleted_at < ${now.toISOString()}::timestamptz - interval '1 minute'`))
      .limit(100)
    for (const o of orphans) {
      await this.o.vault.delete(o.objectKey!)
      await this.o.store.clearObject(o.id)
    }
    return deleted
  }
}
