/**
 * One rtpengine instance over the ng control protocol (bencode over UDP; rtpengine 10.5's TCP ng
 * listener drops messages over 1 KiB). Built on the npm `rtpengine-client` (drachtio's), which does
 * the cookies and bencoding; this wrapper adds what it leaves open: every request is bounded by a
 * timeout, an error reply rejects with RtpengineError carrying rtpengine's reason, and the
 * commands and replies we use are typed.
 */
import { Client } from 'rtpengine-client'

/** rtpengine answered, with `result: error` (unknown call, bad SDP, …). */
export class RtpengineError extends Error {
  constructor(
    readonly instance: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${instance}: ${reason}`)
    this.name = 'RtpengineError'
  }
}

/** rtpengine did not answer in time, or the request could not be sent. */
export class RtpengineUnavailable extends Error {
  constructor(
    readonly instance: string,
    cause: string,
  ) {
    super(`rtpengine ${instance} unavailable: ${cause}`)
    this.name = 'RtpengineUnavailable'
  }
}

export interface NgAddress {
  host: string
  port: number
}

/** `udp:host:port`, `udp://host:port` or `host:port` (the ng protocol over UDP). */
export function parseNgUrl(url: string): NgAddress {
  const m = /^(?:udp:(?:\/\/)?)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(url.trim())
  const port = m ? Number(m[2]) : 0
  if (!m || port < 1 || port > 65535) throw new Error(`"${url}" is not an rtpengine ng address (udp:host:port)`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/** Options of offer/answer (the ng dictionary keys, as rtpengine spells them). */
export interface OfferAnswerOptions {
  'call-id': string
  'from-tag': string
  'to-tag'?: string
  sdp: string
  flags?: string[]
  replace?: string[]
  ICE?: 'remove' | 'force' | 'default'
  'generate RTCP'?: 'on' | 'off'
  'rtcp-mux'?: string[]
  'transport-protocol'?: string
  [key: string]: unknown
}

/** Per-stream packet counters as rtpengine reports them. */
export interface StreamStats {
  packets: number
  bytes: number
  errors: number
}

export interface NgStream {
  'local port'?: number
  endpoint?: { address: string; port: number }
  'last packet'?: number
  stats?: StreamStats
  flags?: string[]
}

export interface NgMonologue {
  tag: string
  medias?: { index: number; type: string; streams: NgStream[] }[]
}

export interface MosReport {
  MOS?: number
  jitter?: number
  'packet loss'?: number
  'round-trip time'?: number
}

/** The reply of `query` and of `delete` (given a from-tag): the call's statistics. */
export interface CallStats {
  created?: number
  'last signal'?: number
  tags?: Record<string, NgMonologue>
  totals?: { RTP?: StreamStats; RTCP?: StreamStats }
  SSRC?: Record<string, { 'average MOS'?: MosReport; 'lowest MOS'?: MosReport; 'highest MOS'?: MosReport; [k: string]: unknown }>
}

/** The ng commands of npm `rtpengine-client` (its method names). */
export type NgCommand =
  | 'startRecording'
  | 'stopRecording'
  | 'blockDTMF'
  | 'unblockDTMF'
  | 'playDTMF'
  | 'blockMedia'
  | 'unblockMedia'
  | 'silenceMedia'
  | 'unsilenceMedia'
  | 'startForwarding'
  | 'stopForwarding'
  | 'playMedia'
  | 'stopMedia'
  | 'statistics'
  | 'publish'
  | 'subscribeRequest'
  | 'subscribeAnswer'
  | 'unsubscribe'

export type Reply = Record<string, unknown> & { result?: string; 'error-reason'?: string; warning?: string }

interface RawClient {
  on(ev: 'error', cb: (e: unknown) => void): void
  close(): void
  [cmd: string]: unknown
}

export class RtpengineClient {
  readonly name: string
  private readonly raw: RawClient
  private closed = false

  constructor(
    readonly address: NgAddress,
    private readonly timeoutMs = 2000,
  ) {
    this.name = `${address.host}:${address.port}`
    // The library's own timeout and reject-on-error are used; we still wrap both so a reply that
    // never correlates (or a send error) cannot hang a caller past our own deadline.
    this.raw = new Client({ timeout: timeoutMs, rejectOnError: true }) as unknown as RawClient
    // A late reply after a timeout is reported as an 'error' event; without a listener it would throw.
    this.raw.on('error', () => undefined)
  }

  ping(): Promise<Reply> {
    return this.send('ping', {})
  }

  offer(opts: OfferAnswerOptions): Promise<Reply & { sdp: string }> {
    return this.send('offer', opts) as Promise<Reply & { sdp: string }>
  }

  answer(opts: OfferAnswerOptions): Promise<Reply & { sdp: string }> {
    return this.send('answer', opts) as Promise<Reply & { sdp: string }>
  }

  /** Ends the call in rtpengine; with a from-tag the reply carries its statistics. */
  delete(opts: { 'call-id': string; 'from-tag'?: string; [k: string]: unknown }): Promise<Reply & CallStats> {
    return this.send('delete', opts) as Promise<Reply & CallStats>
  }

  query(opts: { 'call-id': string; [k: string]: unknown }): Promise<Reply & CallStats> {
    return this.send('query', opts) as Promise<Reply & CallStats>
  }

  /** Plays a file to the party `from-tag` names (or, with `flags: ['all']`, to every party); the reply's `duration` is its length in ms (no event marks the end). */
  playMedia(opts: { 'call-id': string; 'from-tag'?: string; file: string; flags?: string[]; [k: string]: unknown }): Promise<Reply & { duration?: number }> {
    return this.send('playMedia', opts) as Promise<Reply & { duration?: number }>
  }

  stopMedia(opts: { 'call-id': string; 'from-tag': string }): Promise<Reply> {
    return this.send('stopMedia', opts)
  }

  /** Drops the media `from-tag` sends (the other party hears nothing from it) until unblocked. */
  blockMedia(opts: { 'call-id': string; 'from-tag': string }, on: boolean): Promise<Reply> {
    return this.send(on ? 'blockMedia' : 'unblockMedia', opts)
  }

  /** Drops the RFC 4733 events `from-tag` sends (default `drop` mode), still reporting them to `--dtmf-log-dest`. */
  blockDtmf(opts: { 'call-id': string; 'from-tag': string }, on: boolean): Promise<Reply> {
    return this.send(on ? 'blockDTMF' : 'unblockDTMF', opts)
  }

  /** The call-ids rtpengine holds. */
  async list(limit = 100_000): Promise<string[]> {
    const r = await this.send('list', { limit })
    return Array.isArray(r.calls) ? (r.calls as unknown[]).map(String) : []
  }

  /**
   * Any other ng command, by the library's method name (`startRecording`, `stopRecording`,
   * `playMedia`, `stopMedia`, `blockDTMF`, `unblockDTMF`, `playDTMF`, `blockMedia`,
   * `silenceMedia`, `statistics`, …) with rtpengine's own dictionary keys; bounded and rejecting
   * like the typed ones.
   */
  command(name: NgCommand, opts: Record<string, unknown>): Promise<Reply> {
    return this.send(name, opts)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.raw.close()
    } catch {
      // already closed
    }
  }

  private async send(command: string, opts: Record<string, unknown>): Promise<Reply> {
    if (this.closed) throw new RtpengineUnavailable(this.name, 'client closed')
    const fn = this.raw[command] as (port: number, host: string, o: object) => Promise<Reply>
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtpengineUnavailable(this.name, `no reply to ${command} within ${this.timeoutMs} ms`)), this.timeoutMs + 250)
    })
    try {
      const reply = await Promise.race([fn.call(this.raw, this.address.port, this.address.host, opts), deadline])
      if (reply?.result === 'error') throw new RtpengineError(this.name, String(reply['error-reason'] ?? 'error'))
      return reply
    } catch (e) {
      if (e instanceof RtpengineError || e instanceof RtpengineUnavailable) throw e
      // rejectOnError rejects with rtpengine's reason as a plain string; transport failures are Errors.
      if (typeof e === 'string') throw new RtpengineError(this.name, e)
      throw new RtpengineUnavailable(this.name, (e as Error)?.message ?? String(e))
    } finally {
      clearTimeout(timer)
    }
  }
}
