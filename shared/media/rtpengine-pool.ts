/**
 * The rtpengine instances of RTPENGINE_URLS. Each is pinged every `pingIntervalMs`; two failures
 * in a row (a ping that gets no pong, a request that times out) mark it down until a ping succeeds
 * again; a request that times out also has it pinged at once. One slow answer on a busy machine
 * does not take an instance out (with one instance, that would refuse every call until the next
 * ping); a stopped one is out within a ping or two. A new call goes
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

/** Consecutive failures that mark an instance down. */
export const FAILURES_TO_DOWN = 2

export class RtpengineInstance {
  up = false
  /** Failures since the last success. */
  failures = 0
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
  private readonly announced = new Set<RtpengineInstance>()
  /** The probe of every instance that calls finding none healthy wait for (at most one at a time). */
  private probing: Promise<void> | undefined

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

  /** The instance for a new call; throws MediaUnavailable when none is healthy, even asked now. */
  async pick(): Promise<RtpengineInstance> {
    const i = this.healthy()[0]
    if (i) return i
    if (!this.instances.length) throw new MediaUnavailable('RTPENGINE_URLS is empty')
    if (!this.stopped) await (this.probing ??= this.checkAll().finally(() => (this.probing = undefined)))
    const j = this.healthy()[0]
    if (!j) throw new MediaUnavailable('every instance is down')
    return j
  }

  /** Records a request's outcome: a timeout counts toward down and has the instance pinged now. */
  failed(i: RtpengineInstance, e: unknown): void {
    if (!(e instanceof RtpengineUnavailable)) return
    this.failure(i)
    if (!this.stopped) void this.check(i)
  }

  succeeded(i: RtpengineInstance): void {
    i.failures = 0
    if (!i.up) this.mark(i, true)
  }

  async checkAll(): Promise<void> {
    await Promise.all(this.instances.map((i) => this.check(i)))
  }

  private async check(i: RtpengineInstance): Promise<void> {
    try {
      await i.client.ping()
      this.succeeded(i)
    } catch {
      this.failure(i)
    }
  }

  private failure(i: RtpengineInstance): void {
    i.failures++
    // At start (never up yet) one failure is enough to say so.
    if (i.up && i.failures < FAILURES_TO_DOWN) return
    this.mark(i, false)
  }

  private mark(i: RtpengineInstance, up: boolean): void {
    if (i.up !== up || !this.announced.has(i)) this.opts.log[up ? 'info' : 'warn']({ rtpengine: i.name }, up ? 'rtpengine up' : 'rtpengine down')
    this.announced.add(i)
    i.up = up
    rtpengineUp.set({ instance: i.name }, up ? 1 : 0)
  }
}
