/**
 * The calls this instance is running. On shutdown it drains: no new calls (inbound INVITEs get
 * 503 so the trunk tries another instance; originate answers 503), live calls get up to a bound
 * to end by themselves, then the rest are hung up and their records closed.
 */
import type { CallSession } from './call-session'
import { settlesWithin } from '../../../shared/async'

export class CallRegistry {
  private readonly live = new Map<string, CallSession>()
  private idle: (() => void) | undefined
  draining = false

  get size(): number {
    return this.live.size
  }

  has(callId: string): boolean {
    return this.live.has(callId)
  }

  /** Tracks a call until it is over and `settled` (e.g. its record written) resolves. */
  add(session: CallSession, settled: () => Promise<void> = async () => undefined): void {
    this.live.set(session.id, session)
    void session.done.then(settled).finally(() => {
      this.live.delete(session.id)
      if (this.live.size === 0) this.idle?.()
    })
  }

  /** Stops new calls, waits up to `timeoutMs` for live ones, then ends the rest. */
  async drain(timeoutMs: number): Promise<{ waitedFor: number; cut: number }> {
    this.draining = true
    const waitedFor = this.live.size
    if (waitedFor > 0) {
      const empty = Promise.withResolvers<void>()
      this.idle = empty.resolve
      await settlesWithin(empty.promise, timeoutMs)
    }
    const rest = [...this.live.values()]
    await Promise.all(rest.map((s) => s.shutdown()))
    return { waitedFor, cut: rest.length }
  }
}
