/**
 * The rtpengine instances of RTPENGINE_URLS. Each is pinged every `pingIntervalMs`; a ping that
 * fails (or any request that times out) marks it down until a ping succeeds again. A new call goes
 * to the healthy instance carrying the fewest of our calls (`pick`); a call then stays on its
 * instance for its whole life (the caller keeps the client `pick` gave it). With no healthy
 * instance, `pick` throws MediaUnavailable and the call is refused: never bridged unanchored.
 */
import type { Logger } from '../log'
import { rtpengineUp } from './metrics'
import { parseNgUrl, RtpengineClient, RtpengineUnavailable } from './rtpengine-client'

export class MediaUnavailable extends Error {
  constructor(why: string) {
    super(`no rtpengine available: ${why}`)
    this.name = 'MediaUnavailable'
  }
}

/** RTPENGINE_URLS: a comma-separated list of ng addresses; throws naming the bad entry. */
export function parseRtpengineUrls(v: string): string[] {
  const urls = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const u of urls) parseNgUrl(u)
  return urls
}

export interface PoolOptions {
  /** Per-request timeout (RTPENGINE_TIMEOUT_MS). */
  timeoutMs: number
  pingIntervalMs: number
  log: Logger
}

export class RtpengineInstance {
  up = false
  /** Calls of ours on it now (for least-loaded choice). */
  calls = 0
  constructor(
    readonly url: string,
    readonly client: RtpengineClient,
  ) {}
  get name(): string {
    return this.client.name
  }
}

export class RtpenginePool {
  readonly instances: RtpengineInstance[]
  private timer: ReturnType<typeof setInterval> | undefined
  private stopped = false

  constructor(
    urls: string[],
    private readonly opts: PoolOptions,
  ) {
    this.instances = urls.map((u) => new RtpengineInstance(u, new RtpengineClient(parseNgUrl(u), opts.timeoutMs)))
  }

  /** Pings every instance once (so readiness is known at start), then keeps pinging. */
  async start(): Promise<void> {
    await this.checkAll()
    if (this.stopped) return
    this.timer = setInterval(() => void this.checkAll(), this.opts.pingIntervalMs)
    this.timer.unref?.()
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.timer)
    for (const i of this.instances) i.client.close()
  }

  /** At least one instance answers. */
  get ready(): boolean {
    return this.instances.some((i) => i.up)
  }

  /** Healthy instances, least loaded first. */
  healthy(): RtpengineInstance[] {
    return this.instances.filter((i) => i.up).sort((a, b) => a.calls - b.calls)
  }

  /** The instance for a new call; throws MediaUnavailable when none is healthy. */
  pick(): RtpengineInstance {
    const i = this.healthy()[0]
    if (!i) throw new MediaUnavailable(this.instances.length ? 'every instance is down' : 'RTPENGINE_URLS is empty')
    return i
  }

  /** Records a request failure: a timed-out instance is down until its next good ping. */
  failed(i: RtpengineInstance, e: unknown): void {
    if (e instanceof RtpengineUnavailable) this.mark(i, false)
  }

  async checkAll(): Promise<void> {
    await Promise.all(
      this.instances.map(async (i) => {
        try {
          await i.client.ping()
          this.mark(i, true)
        } catch {
          this.mark(i, false)
        }
      }),
    )
  }

  private mark(i: RtpengineInstance, up: boolean): void {
    if (i.up !== up) this.opts.log[up ? 'info' : 'warn']({ rtpengine: i.name }, up ? 'rtpengine up' : 'rtpengine down')
    i.up = up
    rtpengineUp.set({ instance: i.name }, up ? 1 : 0)
  }
}
