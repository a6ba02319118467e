/** The NATS transport (@nats-io/transport-node, v3 API): plain subscriptions in queue groups. */
import { readFileSync } from 'node:fs'
import {
  connect,
  credsAuthenticator,
  errors,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node'
import { TransportError, type RawMessage, type Transport } from './transport'

const enc = new TextEncoder()
const dec = new TextDecoder()

function toHeaders(h: Record<string, string>): MsgHdrs | undefined {
  const keys = Object.keys(h)
  if (keys.length === 0) return undefined
  const out = natsHeaders()
  for (const k of keys) out.set(k, h[k]!)
  return out
}

function fromHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!h) return out
  // One pass over the entries (keys() + get(k) rescans the keys for each one).
  for (const [k, v] of h) out[k.toLowerCase()] = v[0] ?? ''
  return out
}

function raw(m: Msg): RawMessage {
  return { data: dec.decode(m.data), headers: fromHeaders(m.headers) }
}

export interface NatsTransportOptions {
  servers: string
  name: string
  onStatus?: (event: string, detail?: unknown) => void
  /** This service's own credentials (the server allows each user only its subjects: infra/nats/permissions.ts). */
  user?: string
  pass?: string
  /** A `.creds` file (JWT + nkey seed), instead of user and password. */
  credsFile?: string
  /** TLS to the server: a CA to trust, and a client certificate where the server asks for one. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string }
  /** Where this connection's replies arrive; permissions give each user its own. */
  inboxPrefix?: string
}

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const
  private connected = true
  private readonly subs: Subscription[] = []
  private readonly inflight = new Set<Promise<unknown>>()
  /** How to fail each request awaiting its reply: a dropped connection loses the replies, so they fail at once. */
  private readonly awaiting = new Set<() => void>()
  private readonly reconnected: (() => void)[] = []

  private constructor(private readonly nc: NatsConnection, onStatus?: NatsTransportOptions['onStatus']) {
    void (async () => {
      for await (const s of nc.status()) {
        // While reconnecting, requests fail at once instead of waiting out their timeout; so do those in flight.
        if (s.type === 'disconnect') {
          this.connected = false
          for (const fail of this.awaiting) fail()
          this.awaiting.clear()
        }
        if (s.type === 'reconnect') {
          this.connected = true
          for (const cb of this.reconnected) cb()
        }
        if (s.type === 'disconnect' || s.type === 'reconnect') onStatus?.(s.type, s.server)
      }
    })()
    void nc.closed().then(() => {
      this.connected = false
    })
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const nc = await connect({
      servers: opts.servers.split(',').map((s) => s.trim()),
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 5_000,
      maxPingOut: 2,
      // Async traces build two Error objects (stack captured) for every request, even the ones
      // that succeed: ~5% of the gateway's CPU under load. Failures become TransportErrors here
      // anyway, so the extra stack context was never seen.
      noAsyncTraces: true,
      ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
      ...(opts.credsFile ? { authenticator: credsAuthenticator(new Uint8Array(readFileSync(opts.credsFile))) } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
    })
    return new NatsTransport(nc, opts.onStatus)
  }

  async request(subject: string, msg: RawMessage, timeoutMs: number): Promise<string> {
    if (!this.connected || this.nc.isClosed() || this.nc.isDraining()) throw new TransportError('disconnected', subject)
    let reply: Promise<Msg>
    try {
      reply = this.nc.request(subject, enc.encode(msg.data), { timeout: timeoutMs, headers: toHeaders(msg.headers) })
    } catch (e) {
      throw new TransportError(classify(e), subject)
    }
    // In flight when the connection drops: its reply is lost with it, so fail now rather than wait out the timeout.
    return new Promise<string>((resolve, reject) => {
      const fail = () => reject(new TransportError('disconnected', subject))
      this.awaiting.add(fail)
      reply.then(
        (m) => {
          this.awaiting.delete(fail)
          resolve(dec.decode(m.data))
        },
        (e) => {
          this.awaiting.delete(fail)
          reject(new TransportError(classify(e), subject))
        },
      )
    })
  }

  reply(subject: string, queue: string, handler: (msg: RawMessage) => Promise<string>): () => Promise<void> {
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, m) => {
        if (err) return
        const p = handler(raw(m)).then(
          (data) => {
            if (m.reply && !this.nc.isClosed()) m.respond(enc.encode(data))
          },
          () => undefined,
        )
        this.track(p)
      },
    })
    this.subs.push(sub)
    return async () => {
      if (!sub.isClosed()) await sub.drain().catch(() => undefined)
    }
  }

  publish(subject: string, msg: RawMessage): void {
    if (this.nc.isClosed()) return
    try {
      this.nc.publish(subject, enc.encode(msg.data), { headers: toHeaders(msg.headers) })
    } catch {
      // Events are fire-and-forget notifications by design (DESIGN.md, bus conventions).
    }
  }

  subscribe(subject: string, queue: string | undefined, handler: (msg: RawMessage) => void | Promise<void>): void {
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, m) => {
        if (err) return
        // Run now, not on a later microtask: a request that arrived after this event in the same
        // read must see what the event changed (a released number is refused at once; issue 12).
        let p: void | Promise<void>
        try {
          p = handler(raw(m))
        } catch {
          return
        }
        if (p) this.track(p.catch(() => undefined))
      },
    })
    this.subs.push(sub)
  }

  isConnected(): boolean {
    return this.connected && !this.nc.isClosed()
  }

  onReconnect(cb: () => void): void {
    this.reconnected.push(cb)
  }

  async drain(): Promise<void> {
    if (this.nc.isClosed()) return
    await Promise.allSettled(this.subs.splice(0).map((s) => s.drain()))
    await Promise.allSettled([...this.inflight])
    await this.nc.drain().catch(() => this.nc.close())
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }
}

/** nats.js v3 reports request failures as typed errors (a RequestError wraps the cause). */
function classify(e: unknown): 'no_responders' | 'timeout' | 'disconnected' {
  if (e instanceof errors.NoRespondersError || (e instanceof errors.RequestError && e.isNoResponders())) return 'no_responders'
  if (e instanceof errors.TimeoutError || (e as Error | undefined)?.cause instanceof errors.TimeoutError) return 'timeout'
  return 'disconnected'
}
