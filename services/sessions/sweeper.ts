/**
 * Marks lapsed sessions `expired` and announces them, every interval. Expiry never waits for it
 * (reads, allocation and routing treat a lapsed session as over at once); the sweeper makes the
 * table and the bus say so. Also purges idempotency records past their window, now and then.
 */
import type { Logger } from '../../shared/log'

export class Sweeper {
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<unknown> | undefined
  private paused = false
  private stopped = false
  private lastPurge = 0

  constructor(
    private readonly intervalMs: number,
    private readonly sweep: () => Promise<number>,
    private readonly purge: () => Promise<number>,
    private readonly log: Logger,
    private readonly purgeEveryMs = 60_000,
  ) {}

  start(): void {
    this.schedule()
  }

  /** Runs one pass now (waits for a pass already under way first). */
  async sweepNow(): Promise<number> {
    await this.running
    const p = this.sweep()
    this.running = p.catch(() => undefined)
    return p
  }

  /** Tests use these to look at the moment between expiry and the sweep. */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.tick(), this.intervalMs)
    this.timer.unref?.()
  }

  private async tick(): Promise<void> {
    if (!this.paused) {
      const pass = (async () => {
        const n = await this.sweep()
        if (n) this.log.debug({ expired: n }, 'sweeper expired sessions')
        if (Date.now() - this.lastPurge >= this.purgeEveryMs) {
          this.lastPurge = Date.now()
          await this.purge()
        }
      })().catch((err) => this.log.error({ err }, 'sweep failed'))
      this.running = pass
      await pass
    }
    this.schedule()
  }
}
