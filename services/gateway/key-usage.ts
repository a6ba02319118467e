/** Collects which keys were used and reports them to identity once a second, off the request path. */
import type { Bus } from '../../shared/bus/bus'
import { identity } from '../../shared/contracts/identity'

export class KeyUsageReporter {
  private uses = new Map<string, number>()
  private readonly timer: ReturnType<typeof setInterval>

  constructor(private readonly bus: Bus, everyMs = 1000) {
    this.timer = setInterval(() => this.flush(), everyMs)
    this.timer.unref?.()
  }

  note(keyId: string): void {
    // A number per request; formatted once per key at flush.
    this.uses.set(keyId, Date.now())
  }

  flush(): void {
    if (this.uses.size === 0) return
    const uses = [...this.uses].map(([key_id, at]) => ({ key_id, at: new Date(at).toISOString() }))
    this.uses = new Map()
    this.bus.publish(identity.keyUsed, { uses })
  }

  stop(): void {
    clearInterval(this.timer)
    this.flush()
  }
}
