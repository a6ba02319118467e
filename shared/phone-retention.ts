/**
 * The phone-retention purge each service runs over its own rows (issue 12, item 14): every
 * interval, the records that ended more than the tenant's `phone_retention_days` ago have their
 * phone numbers replaced by ANONYMISED_PHONE (shared/phone.ts). A service supplies one pass; this
 * runs it on a timer, one pass at a time, and logs (never throws) a failed pass.
 */
import type { Bus } from './bus/bus'
import { identity } from './contracts/identity'
import type { Logger } from './log'

/** A tenant's retention in days (identity's `phone_retention_days`), asked once per tenant per pass. */
export function retentionDaysOf(bus: Bus): (tenantId: string) => Promise<number> {
  return async (tenantId) => (await bus.request(identity.getTenant, { tenant_id: tenantId })).phone_retention_days
}

/** Records that ended before this are past a `days`-day retention at `now`. */
export const retentionCutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * 86_400_000)

export class PhoneRetentionPurge {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<number> | undefined

  constructor(
    private readonly o: { log: Logger; intervalMs: number; pass: (now: Date) => Promise<number> },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.o.log.warn({ err }, 'phone retention purge failed; will retry')), this.o.intervalMs)
    this.timer.unref?.()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running?.catch(() => undefined)
  }

  /** One pass; resolves with how many records it anonymised. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.o
      .pass(now)
      .then((n) => {
        if (n) this.o.log.info({ anonymised: n }, 'phone numbers past retention anonymised')
        return n
      })
      .finally(() => (this.running = undefined))
    return this.running
  }
}
