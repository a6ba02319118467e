/**
 * A small SIP user agent over UDP for media tests: it places and answers calls with SDP we
 * choose, sends re-INVITE (with or without an offer) and UPDATE, answers whatever arrives in the
 * dialog, and keeps every SDP it receives. Unlike a SIPp scenario, each step is awaited (the test
 * sends RTP while the call is up, then re-offers), so nothing depends on pauses. It speaks just
 * enough RFC 3261 for a B2BUA on loopback: one transaction at a time per dialog, 100 Trying on
 * INVITEs, ACK for every final response to an INVITE, retransmitted requests answered again.
 */
import type { udp } from 'bun'

export interface SipMessage {
  first: string
  method?: string
  status?: number
  headers: Map<string, string[]>
  body: string
  from: { address: string; port: number }
}

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type' }

export function parseSip(text: string, from: { address: string; port: number }): SipMessage {
  const split = text.indexOf('\r\n\r\n')
  const head = split >= 0 ? text.slice(0, split) : text
  const body = split >= 0 ? text.slice(split + 4) : ''
  const [first = '', ...lines] = head.split('\r\n')
  const headers = new Map<string, string[]>()
  for (const l of lines) {
    const i = l.indexOf(':')
    if (i <= 0) continue
    let name = l.slice(0, i).trim().toLowerCase()
    name = COMPACT[name] ?? name
    const list = headers.get(name) ?? []
    list.push(l.slice(i + 1).trim())
    headers.set(name, list)
  }
  const status = /^SIP\/2\.0 (\d{3})/.exec(first)
  return { first, ...(status ? { status: Number(status[1]) } : { method: first.split(' ')[0] }), headers, body, from }
}

const h = (m: SipMessage, name: string) => m.headers.get(name)?.[0] ?? ''
const tagOf = (v: string) => /;tag=([^;>\s]+)/.exec(v)?.[1]
const uriIn = (v: string) => /<([^>]+)>/.exec(v)?.[1] ?? v.split(';')[0]!.trim()
const rand = () => Math.random().toString(36).slice(2, 12)

function hostPortOf(uri: string): { address: string; port: number } {
  const m = /^sips?:(?:[^@]+@)?([^:;>]+)(?::(\d+))?/.exec(uri)
  return { address: m?.[1] ?? '127.0.0.1', port: Number(m?.[2] ?? 5060) }
}

export class SipFinal extends Error {
  constructor(readonly status: number) {
    super(`SIP ${status}`)
  }
}

/** One confirmed dialog, from this agent's side. */
export class UaDialog {
  cseq = 1
  /** Every SDP the far end sent us in this dialog (offers and answers), oldest first. */
  readonly sdpReceived: string[] = []
  /** In-dialog requests the far end sent (method names). */
  readonly requests: string[] = []
  /** Our SDP for answering an incoming offer (re-INVITE/UPDATE); the test may change it. */
  answerWith: (offer: string) => string
  readonly ended: Promise<void>
  private endedResolve!: () => void
  gone = false

  constructor(
    private readonly ua: SipUa,
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From/To as this side writes them. */
    readonly localUri: string,
    readonly remoteUri: string,
    /** Where in-dialog requests go (the far end's Contact). */
    public remoteTarget: string,
    public localSdp: string,
  ) {
    this.answerWith = () => this.localSdp
    this.ended = new Promise((r) => (this.endedResolve = r))
  }

  get lastSdp(): string {
    return this.sdpReceived.at(-1) ?? ''
  }

  /** re-INVITE with an offer: resolves with the answer SDP once 200 is in and ACK sent. */
  async reinvite(sdp: string): Promise<string> {
    this.localSdp = sdp
    const res = await this.ua.request(this, 'INVITE', sdp)
    return res.body
  }

  /** re-INVITE without an offer: the 200 carries the far end's offer; we ACK with `answer(offer)`. */
  async reinviteWithoutOffer(answer: (offer: string) => string): Promise<{ offer: string; answer: string }> {
    let sent = ''
    const res = await this.ua.request(this, 'INVITE', '', (offer) => (sent = answer(offer)))
    return { offer: res.body, answer: sent }
  }

  async update(sdp: string): Promise<string> {
    this.localSdp = sdp
    const res = await this.ua.request(this, 'UPDATE', sdp)
    return res.body
  }

  async bye(): Promise<number> {
    const res = await this.ua.request(this, 'BYE', '')
    this.end()
    return res.status!
  }

  /** @internal */
  end(): void {
    this.gone = true
    this.endedResolve()
  }
}

/** An INVITE that reached us (we are the called party). */
export class IncomingInvite {
  constructor(
    private readonly ua: SipUa,
    readonly msg: SipMessage,
  ) {}

  get sdp(): string {
    return this.msg.body
  }

  header(name: string): string {
    return h(this.msg, name)
  }

  ringing(): void {
    this.ua.respond(this.msg, 180, 'Ringing', { toTag: this.tag })
  }

  reject(status: number, reason = 'Busy Here'): void {
    this.ua.respond(this.msg, status, reason, { toTag: this.tag })
  }

  readonly tag = rand()

  /** 200 OK with `sdp`; resolves with the dialog once the ACK arrives. */
  async answer(sdp: string): Promise<UaDialog> {
    const d = new UaDialog(
      this.ua,
      h(this.msg, 'call-id'),
      this.tag,
      tagOf(h(this.msg, 'from'))!,
      `${h(this.msg, 'to')};tag=${this.tag}`,
      h(this.msg, 'from'),
      uriIn(h(this.msg, 'contact')),
      sdp,
    )
    d.sdpReceived.push(this.msg.body)
    this.ua.dialogs.set(d.callId, d)
    const acked = this.ua.waitAck(d.callId, Number(h(this.msg, 'cseq').split(' ')[0]))
    this.ua.respond(this.msg, 200, 'OK', { toTag: this.tag, sdp, contact: true })
    await acked
    return d
  }
}

export class SipUa {
  readonly dialogs = new Map<string, UaDialog>()
  /** INVITEs that started a dialog here, in arrival order. */
  private invites: IncomingInvite[] = []
  private inviteWaiters: ((i: IncomingInvite) => void)[] = []
  private pending = new Map<string, { onResponse(m: SipMessage): void }>()
  private acks = new Map<string, () => void>()
  private responsesSent = new Map<string, string>()

  private constructor(
    private readonly sock: udp.Socket<'buffer'>,
    readonly address: string,
  ) {}

  get port(): number {
    return this.sock.port
  }

  static async start(address: string): Promise<SipUa> {
    let ua!: SipUa
    const sock = await Bun.udpSocket({
      hostname: address,
      port: 0,
      socket: {
        data: (_s, data, port, addr) => ua.receive(parseSip(data.toString('utf8'), { address: addr, port })),
      },
    })
    ua = new SipUa(sock, address)
    return ua
  }

  close(): void {
    this.sock.close()
  }

  private contact(): string {
    return `<sip:ua@${this.address}:${this.port}>`
  }

  private send(text: string, to: { address: string; port: number }): void {
    this.sock.send(text, to.port, to.address)
  }

  /** Places a call to `requestUri` through `proxy`; resolves with the dialog after the ACK. */
  async invite(proxy: { address: string; port: number }, requestUri: string, opts: { from: string; sdp: string }): Promise<UaDialog> {
    const callId = `${rand()}@${this.address}`
    const tag = rand()
    const fromHdr = `<sip:${opts.from}@${this.address}>;tag=${tag}`
    const toHdr = `<${requestUri}>`
    const branch = `z9hG4bK${rand()}`
    const msg = [
      `INVITE ${requestUri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: ${fromHdr}`,
      `To: ${toHdr}`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: ${this.contact()}`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(opts.sdp)}`,
      '',
      opts.sdp,
    ].join('\r\n')
    const res = await new Promise<SipMessage>((resolve, reject) => {
      this.pending.set(branch, {
        onResponse: (m) => {
          if (m.status! < 200) return
          this.pending.delete(branch)
          if (m.status! >= 300) {
            // ACK for a failure: same branch, to the proxy.
            this.send([`ACK ${requestUri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=${branch}`, 'Max-Forwards: 70', `From: ${fromHdr}`, `To: ${h(m, 'to')}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join('\r\n'), proxy)
            reject(new SipFinal(m.status!))
          } else resolve(m)
        },
      })
      this.send(msg, proxy)
    })
    const d = new UaDialog(this, callId, tag, tagOf(h(res, 'to'))!, fromHdr, h(res, 'to'), uriIn(h(res, 'contact')), opts.sdp)
    d.sdpReceived.push(res.body)
    this.dialogs.set(callId, d)
    this.sendAck(d, 1, '')
    return d
  }

  /** How many new INVITEs (dialog-starting) reached us so far. */
  invitesSeen = 0

  /** Forgets callers of nextInvite() still waiting (a test that expected no INVITE), so a later test gets its own. */
  stopWaiting(): void {
    this.inviteWaiters = []
  }

  /** The next INVITE that reaches us (as the called party). */
  nextInvite(): Promise<IncomingInvite> {
    const i = this.invites.shift()
    if (i) return Promise.resolve(i)
    return new Promise((r) => this.inviteWaiters.push(r))
  }

  /** @internal An in-dialog request; resolves with its final response (2xx; rejects otherwise). */
  request(d: UaDialog, method: string, sdp: string, ackAnswer?: (offer: string) => string): Promise<SipMessage> {
    const cseq = ++d.cseq
    const branch = `z9hG4bK${rand()}`
    const msg = [
      `${method} ${d.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: ${d.localUri}`,
      `To: ${d.remoteUri}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: ${this.contact()}`,
      ...(sdp ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n')
    return new Promise((resolve, reject) => {
      this.pending.set(branch, {
        onResponse: (m) => {
          if (m.status! < 200) return
          this.pending.delete(branch)
          if (method === 'INVITE') {
            const answer = m.status! < 300 && ackAnswer ? ackAnswer(m.body) : ''
            if (m.status! < 300) {
              if (m.body) d.sdpReceived.push(m.body)
              this.sendAck(d, cseq, answer)
            }
          } else if (m.status! < 300 && m.body) d.sdpReceived.push(m.body)
          if (m.status! >= 300) reject(new SipFinal(m.status!))
          else resolve(m)
        },
      })
      this.send(msg, hostPortOf(d.remoteTarget))
    })
  }

  private sendAck(d: UaDialog, cseq: number, sdp: string): void {
    const msg = [
      `ACK ${d.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=z9hG4bK${rand()};rport`,
      'Max-Forwards: 70',
      `From: ${d.localUri}`,
      `To: ${d.remoteUri}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${cseq} ACK`,
      ...(sdp ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n')
    this.send(msg, hostPortOf(d.remoteTarget))
  }

  /** @internal Resolves when the ACK for (callId, cseq) arrives. */
  waitAck(callId: string, cseq: number): Promise<void> {
    return new Promise((r) => this.acks.set(`${callId}/${cseq}`, r))
  }

  /** @internal */
  respond(req: SipMessage, status: number, reason: string, opts: { toTag?: string; sdp?: string; contact?: boolean } = {}): void {
    const to = h(req, 'to')
    const toHdr = opts.toTag && !tagOf(to) ? `${to};tag=${opts.toTag}` : to
    const body = opts.sdp ?? ''
    const text = [
      `SIP/2.0 ${status} ${reason}`,
      ...(req.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${h(req, 'from')}`,
      `To: ${toHdr}`,
      `Call-ID: ${h(req, 'call-id')}`,
      `CSeq: ${h(req, 'cseq')}`,
      ...(opts.contact ? [`Contact: ${this.contact()}`] : []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n')
    if (status >= 200) this.responsesSent.set(this.txKey(req), text)
    this.send(text, req.from)
  }

  private txKey(m: SipMessage): string {
    return `${/branch=([^;\s]+)/.exec(h(m, 'via'))?.[1]}/${h(m, 'cseq')}`
  }

  private receive(m: SipMessage): void {
    if (m.status !== undefined) {
      const branch = /branch=([^;\s]+)/.exec(h(m, 'via'))?.[1] ?? ''
      const p = this.pending.get(branch)
      if (p) p.onResponse(m)
      else if (m.status >= 200 && m.status < 300 && h(m, 'cseq').endsWith('INVITE')) {
        // A retransmitted 2xx (our ACK was lost): ACK again.
        const d = this.dialogs.get(h(m, 'call-id'))
        if (d) this.sendAck(d, Number(h(m, 'cseq').split(' ')[0]), '')
      }
      return
    }
    const key = this.txKey(m)
    const again = this.responsesSent.get(key)
    if (again && m.method !== 'ACK') return this.send(again, m.from)
    const callId = h(m, 'call-id')
    const d = this.dialogs.get(callId)
    switch (m.method) {
      case 'ACK': {
        if (d && m.body) d.sdpReceived.push(m.body)
        const k = `${callId}/${h(m, 'cseq').split(' ')[0]}`
        this.acks.get(k)?.()
        this.acks.delete(k)
        return
      }
      case 'INVITE': {
        if (!d) {
          if (this.invites.some((i) => h(i.msg, 'call-id') === callId)) return this.respond(m, 100, 'Trying')
          this.respond(m, 100, 'Trying')
          this.invitesSeen++
          const inv = new IncomingInvite(this, m)
          const w = this.inviteWaiters.shift()
          if (w) w(inv)
          else this.invites.push(inv)
          return
        }
        d.requests.push('INVITE')
        if (m.body) d.sdpReceived.push(m.body)
        // With an offer: answer it; without one: offer our SDP (the answer comes in the ACK).
        return this.respond(m, 200, 'OK', { sdp: m.body ? d.answerWith(m.body) : d.localSdp, contact: true })
      }
      case 'UPDATE':
        if (!d) return this.respond(m, 481, 'Call/Transaction Does Not Exist')
        d.requests.push('UPDATE')
        if (m.body) d.sdpReceived.push(m.body)
        return this.respond(m, 200, 'OK', m.body ? { sdp: d.answerWith(m.body), contact: true } : { contact: true })
      case 'BYE':
        if (!d) return this.respond(m, 481, 'Call/Transaction Does Not Exist')
        d.requests.push('BYE')
        this.respond(m, 200, 'OK')
        d.end()
        return
      case 'CANCEL':
        this.respond(m, 200, 'OK')
        return
      default:
        if (d) d.requests.push(m.method ?? '?')
        this.respond(m, 200, 'OK')
    }
  }
}
