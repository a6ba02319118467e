/**
 * rtpengine's DTMF events: with `--dtmf-log-dest=host:port` it sends one JSON object per RFC 4733
 * digit over UDP (`callid`, `source_tag`, `event`, `duration`, …), also for digits `block DTMF`
 * keeps from the other party. This listener hands each to the call that subscribed to its
 * rtpengine call-id. Only datagrams from the rtpengine hosts are believed (anyone else could type
 * a PIN for a caller). Digits are never logged.
 */
import type { udp } from 'bun'
import type { Logger } from '../log'

/** Where a call's RFC 4733 digits come from (rtpengine's DTMF events). */
export interface DigitSource {
  /** `cb` hears each digit (`0`-`9`, `*`, `#`, `A`-`D`) sent by the party with this tag; returns an unsubscribe. */
  subscribe(mediaCallId: string, cb: (digit: string, sourceTag: string) => void): () => void
}

const DIGITS = '0123456789*#ABCD'

/** RFC 4733 event number to its digit, or undefined (flash and other events). */
export function digitOf(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined
}

/** One datagram to (call-id, source tag, digit), or undefined when it is not a DTMF event. */
export function parseDtmfEvent(text: string): { callId: string; sourceTag: string; digit: string } | undefined {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof o?.callid !== 'string' || typeof o.source_tag !== 'string' || (o.type !== undefined && o.type !== 'DTMF')) return undefined
  const digit = digitOf(Number(o.event))
  return digit === undefined ? undefined : { callId: o.callid, sourceTag: o.source_tag, digit }
}

export class DtmfListener implements DigitSource {
  private readonly subscribers = new Map<string, (digit: string, sourceTag: string) => void>()
  dropped = 0

  private constructor(
    private readonly sock: udp.Socket<'buffer'>,
    private readonly allowed: (address: string) => boolean,
  ) {}

  /** Listens on host:port; `allowed` says which source addresses are rtpengine's (a list, or a check; an empty list believes everyone). */
  static async start(host: string, port: number, allowed: string[] | ((address: string) => boolean), log: Logger): Promise<DtmfListener> {
    let self!: DtmfListener
    const sock = await Bun.udpSocket({
      hostname: host,
      port,
      socket: {
        data: (_s, data, _port, addr) => self.receive(data.toString('utf8'), addr),
      },
    })
    const list = Array.isArray(allowed) ? new Set(allowed) : undefined
    self = new DtmfListener(sock, list ? (a) => list.size === 0 || list.has(a) : (allowed as (address: string) => boolean))
    log.info({ host, port: sock.port }, 'listening for rtpengine DTMF events')
    return self
  }

  get port(): number {
    return this.sock.port
  }

  subscribe(mediaCallId: string, cb: (digit: string, sourceTag: string) => void): () => void {
    this.subscribers.set(mediaCallId, cb)
    return () => {
      if (this.subscribers.get(mediaCallId) === cb) this.subscribers.delete(mediaCallId)
    }
  }

  /** @internal (tests feed datagrams here) */
  receive(text: string, from: string): void {
    if (!this.allowed(from)) {
      this.dropped++
      return
    }
    const e = parseDtmfEvent(text)
    if (!e) return
    this.subscribers.get(e.callId)?.(e.digit, e.sourceTag)
  }

  close(): void {
    this.sock.close()
  }
}
