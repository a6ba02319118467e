/**
 * `last_used_at` without slowing requests: gateways report key uses in batches (an event a
 * second), and identity folds them into one UPDATE per flush. The time is approximate by design
 * (to about a second); nothing acknowledged depends on it.
 */
import { sql } from 'drizzle-orm'
import type { Database } from '../../shared/db/database'
import type { Logger } from '../../shared/log'

export class LastUsedWriter {
  private pending = new Map<string, string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private flushing: Promise<void> = Promise.resolve()

  constructor(private readonly database: Database, private readonly log: Logger, private readonly everyMs = 1000) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs)
  }

  note(keyId: string, at: string): void {
    const prev = this.pending.get(keyId)
    if (!prev || prev < at) this.pending.set(keyId, at)
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write())
    return this.flushing
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = [...this.pending]
    this.pending = new Map()
    const values = sql.join(
      batch.map(([id, at]) => sql`(${id}, ${at}::timestamptz)`),
      sql`, `,
    )
    try {
      await this.database.rows(sql`
        update identity.api_keys as k set last_used_at = v.at
        from (values ${values}) as v(id, at)
        where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`)
    } catch (err) {
      this.log.warn({ err, keys: batch.length }, 'could not record key use; will retry with the next batch')
      for (const [id, at] of batch) this.note(id, at)
    }
  }
}
