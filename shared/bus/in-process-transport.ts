/**
 * An in-process broker with NATS semantics: queue groups share work round-robin, plain
 * subscribers each get a copy, a request with no responder fails at once, and payloads cross as
 * strings so nothing is shared by reference between "services".
 */
import { TransportError, type RawMessage, type Transport } from './transport'

type Handler = (msg: RawMessage) => unknown

interface Group {
  members: Handler[]
  next: number
}

class Broker {
  private readonly subjects = new Map<string, { groups: Map<string, Group>; plain: Handler[] }>()

  private entry(subject: string) {
    let e = this.subjects.get(subject)
    if (!e) {
      e = { groups: new Map(), plain: [] }
      this.subjects.set(subject, e)
    }
    return e
  }

  add(subject: string, queue: string | undefined, h: Handler): () => void {
    const e = this.entry(subject)
    if (queue === undefined) {
      e.plain.push(h)
      return () => void e.plain.splice(e.plain.indexOf(h) >>> 0, 1)
    }
    let g = e.groups.get(queue)
    if (!g) {
      g = { members: [], next: 0 }
      e.groups.set(queue, g)
    }
    g.members.push(h)
    const group = g
    return () => {
      const i = group.members.indexOf(h)
      if (i >= 0) group.members.splice(i, 1)
      if (group.members.length === 0) e.groups.delete(queue)
    }
  }

  /** One handler per queue group (round-robin) plus every plain subscriber. */
  targets(subject: string): Handler[] {
    const e = this.subjects.get(subject)
    if (!e) return []
    const out = [...e.plain]
    for (const g of e.groups.values()) {
      if (g.members.length === 0) continue
      out.push(g.members[g.next++ % g.members.length]!)
    }
    return out
  }
}

/** Transports created with the same broker see each other (one per process by default). */
const defaultBroker = new Broker()

export class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const
  private readonly unsubs: (() => void)[] = []
  private readonly inflight = new Set<Promise<unknown>>()
  private closed = false

  constructor(private readonly broker: Broker = defaultBroker) {}

  async request(subject: string, msg: RawMessage, timeoutMs: number): Promise<string> {
    if (this.closed) throw new TransportError('disconnected', subject)
    const [target] = this.broker.targets(subject)
    if (!target) throw new TransportError('no_responders', subject)
    const copy = { data: msg.data, headers: { ...msg.headers } }
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransportError('timeout', subject)), timeoutMs)
    })
    try {
      // Deliver asynchronously, as a network would.
      const reply = Promise.resolve().then(() => target(copy) as Promise<string>)
      return await Promise.race([reply, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** An in-process broker never loses a connection, so never calls back. */
  onReconnect(_cb: () => void): void {}

  reply(subject: string, queue: string, handler: (msg: RawMessage) => Promise<string>): () => Promise<void> {
    const unsub = this.broker.add(subject, queue, (m) => this.track(handler(m)))
    this.unsubs.push(unsub)
    return async () => unsub()
  }

  publish(subject: string, msg: RawMessage): void {
    if (this.closed) return
    for (const h of this.broker.targets(subject)) {
      const copy = { data: msg.data, headers: { ...msg.headers } }
      queueMicrotask(() => void h(copy))
    }
  }

  subscribe(subject: string, queue: string | undefined, handler: (msg: RawMessage) => void | Promise<void>): void {
    this.unsubs.push(
      this.broker.add(subject, queue, (m) => this.track(Promise.resolve(handler(m)).catch(() => undefined))),
    )
  }

  isConnected(): boolean {
    return !this.closed
  }

  async drain(): Promise<void> {
    for (const u of this.unsubs.splice(0)) u()
    await Promise.allSettled([...this.inflight])
    this.closed = true
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined)
    return p
  }
}
