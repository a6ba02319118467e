/**
 * drachtio-srf behind the interfaces of legs.ts. Notes on the library (5.x) that shape this:
 * - the caller id option of createUAC/createB2BUA is `callingNumber` (a `callerId` key is
 *   silently ignored); we also set `callingName` to the masked number, because createB2BUA
 *   otherwise copies the caller's display name (often their own number) to the other leg;
 * - createUAC without `localSdp` and with `noAck` resolves on the 200 OK with `{sdp, ack,
 *   destroy}` and leaves the ACK to us (third-party call control);
 * - a Dialog emits `destroy` only when the far end hangs up; our own `destroy()` sends BYE; a BYE
 *   that arrives before we listen (right behind the ACK) leaves `connected === false`;
 * - createB2BUA relays the callee's provisional responses with their reason phrase, and copies
 *   Reason headers from the caller's CANCEL; we send standard phrases only and strip those;
 * - the typings lack several options and properties, hence the local types below.
 */
import type Srf from 'drachtio-srf'
import { marksOf } from './dialog-guard'
import { CallerGone, SipFailure, type Dialer, type InboundInvite, type InfoBody, type Progress, type SipLeg } from './legs'

type Dialog = Srf.Dialog & {
  connected?: boolean
  local: { sdp: string; contact?: string }
  remote: { sdp: string }
  modify(sdp: string | undefined, opts?: { noAck?: boolean }): Promise<string | { sdp: string; ack(sdp: string): void }>
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<Srf.SipMessage & { status: number; reason: string; body: string }>
}
type SrfRequest = Srf.SrfRequest & { cancel(opts?: object, cb?: (err: unknown) => void): void }
type SrfResponse = Srf.SrfResponse

/** Digest credentials for a trunk that challenges (drachtio-srf answers 401/407 with them). */
export interface TrunkAuth {
  username: string
  password: string
}

interface UacOptions {
  callingNumber: string
  callingName?: string
  localSdp?: string
  /** createB2BUA: the offer sent to the callee (rtpengine's), instead of the caller's SDP. */
  localSdpB?: string
  /** createB2BUA: turns the callee's answer (183 and 200) into the caller's (through rtpengine). */
  localSdpA?: (sdp: string) => Promise<string>
  noAck?: boolean
  headers?: Record<string, string>
  passFailure?: boolean
  auth?: TrunkAuth
}

type UacResult3pcc = { sdp: string; res: Srf.SipMessage; ack(sdp: string): Promise<Dialog>; destroy(): Promise<void> }

interface SrfLike {
  createUAS(req: Srf.SrfRequest, res: SrfResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<Dialog>
  createUAC(uri: string, opts: UacOptions, progress: object): Promise<Dialog | UacResult3pcc>
  createB2BUA(req: Srf.SrfRequest, res: SrfResponse, uri: string, opts: UacOptions, progress: object): Promise<{ uas: Dialog; uac: Dialog }>
}

const srfOf = (srf: Srf) => srf as unknown as SrfLike

function progressCallbacks(progress: Progress) {
  return {
    cbRequest: (err: unknown, req: SrfRequest) => {
      if (err || !req) return
      progress.onSent?.(() => req.cancel({}, () => undefined))
    },
    cbProvisional: (res: SrfResponse) => progress.onProvisional?.(res.status),
  }
}

/** Presents the masked number as both the caller id and the display name. */
const presenting = (callingNumber: string) => ({ callingNumber, callingName: callingNumber })

const SDP = { 'Content-Type': 'application/sdp' }

/** A relay failure as the status to answer the far end with (never a reason text from the other leg). */
const failureStatus = (e: unknown) => {
  const f = SipFailure.from(e)
  return f.status >= 400 && f.status < 700 ? f.status : 500
}

export function legOf(d: Dialog): SipLeg {
  let gone = false
  const marks = marksOf(d)
  let onOffer: ((sdp: string, method: 'INVITE' | 'UPDATE') => Promise<string>) | undefined
  let onOfferRequest: (() => Promise<{ offer: string; answer(sdp: string): void }>) | undefined
  const contact = () => (d.local.contact ? { Contact: d.local.contact } : {})
  const answerOffer = (sdp: string, method: 'INVITE' | 'UPDATE', res: SrfResponse) => {
    if (!onOffer) return res.send(488)
    onOffer(sdp, method).then(
      (answer) => {
        d.local.sdp = answer
        res.send(200, { body: answer, headers: { ...SDP, ...contact() } })
      },
      (e) => res.send(failureStatus(e)),
    )
  }
  // Listeners go on at once (drachtio-srf answers re-INVITEs and UPDATEs itself with the old SDP
  // when nobody listens: one-way audio); the call session fills in what they do.
  d.on('modify', (req: Srf.SrfRequest, res: SrfResponse) => {
    if (req.body) return answerOffer(req.body, 'INVITE', res)
    // A re-INVITE without SDP asks us for an offer; its answer comes in the ACK.
    if (!onOfferRequest) return res.send(488)
    onOfferRequest().then(
      ({ offer, answer }) => {
        ;(d as unknown as { once(e: 'ack', cb: (ack: Srf.SrfRequest) => void): void }).once('ack', (ack) => answer(ack.body))
        d.local.sdp = offer
        res.send(200, { body: offer, headers: { ...SDP, ...contact() } })
      },
      (e) => res.send(failureStatus(e)),
    )
  })
  ;(d as unknown as { on(e: 'update', cb: (req: Srf.SrfRequest, res: SrfResponse) => void): void }).on('update', (req, res) => {
    // An UPDATE without SDP only refreshes the session (timers): ours to answer.
    if (!req.body) return res.send(200)
    answerOffer(req.body, 'UPDATE', res)
  })
  return {
    callId: d.sip.callId,
    get acked() {
      return marks?.acked ?? true
    },
    onAck(cb) {
      if (!marks || marks.acked) cb()
      else marks.ackWaiters.push(cb)
    },
    onHangup(cb) {
      let told = false
      const tell = (how?: 'lost') => {
        if (told) return
        told = true
        gone = true
        cb(how)
      }
      // The far end's BYE was handled before anyone listened (it came right behind the ACK).
      if (d.connected === false) queueMicrotask(() => tell())
      else d.on('destroy', () => tell())
      if (marks) marks.lost = () => tell('lost')
    },
    onReoffer(cb) {
      onOffer = cb
    },
    async reoffer(sdp, method = 'INVITE') {
      if (method === 'UPDATE') {
        const r = await d.request({ method: 'UPDATE', body: sdp, headers: SDP })
        if (r.status !== 200) throw new SipFailure(r.status, '')
        d.local.sdp = sdp
        d.remote.sdp = r.body
        return r.body
      }
      return (await d.modify(sdp)) as string
    },
    onOfferRequest(cb) {
      onOfferRequest = cb
    },
    async requestOffer() {
      const r = (await d.modify(undefined, { noAck: true })) as { sdp: string; ack(sdp: string): void }
      return {
        offer: r.sdp,
        answer: (sdp) => {
          d.local.sdp = sdp
          r.ack(sdp)
        },
      }
    },
    onInfo(cb) {
      ;(d as unknown as { on(e: 'info', cb: (req: Srf.SrfRequest, res: SrfResponse) => void): void }).on('info', (req, res) => {
        cb({ contentType: req.has('Content-Type') ? req.get('Content-Type') : undefined, body: req.body ?? '' }).then(
          (status) => res.send(status),
          (e) => res.send(failureStatus(e)),
        )
      })
    },
    async info(i: InfoBody) {
      const r = await d.request({ method: 'INFO', headers: i.contentType ? { 'Content-Type': i.contentType } : {}, body: i.body })
      return r.status
    },
    async hangup() {
      if (gone || d.connected === false) return
      gone = true
      try {
        await d.destroy()
      } catch {
        // already gone at the far end
      }
    },
  }
}

/**
 * Unfolds header values (RFC 3261 7.3.1: a line break followed by whitespace is one space). The
 * library keeps them as received and echoes From / To / CSeq in our responses, which
 * drachtio-server then rejects as malformed: the caller got a 500 after the callee had answered.
 */
export function unfoldHeaders(req: Srf.SrfRequest, res: SrfResponse): void {
  // The response took its copies of From / To / Call-ID / CSeq when it was made: both need it.
  for (const m of [req, (res as unknown as { msg?: object }).msg]) {
    const headers = (m as { headers?: Record<string, unknown> } | undefined)?.headers ?? {}
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && /[\r\n]/.test(value)) headers[name] = value.replace(/\r?\n[ \t]+/g, ' ').replace(/[\r\n]/g, '')
    }
  }
}

/** The inbound INVITE as the call session sees it. */
export function inboundInvite(srf: Srf, req: Srf.SrfRequest, res: SrfResponse, auth?: TrunkAuth): InboundInvite & { readonly canceled: boolean } {
  let canceled = false
  const onCancel: (() => void)[] = []
  // Whatever drachtio-srf relays to the caller (the callee's 180, 183, a failure) goes out with
  // the standard reason phrase: the callee's own text ("Ringing at +1415…") stays on its leg.
  const send = res.send.bind(res) as (...a: unknown[]) => void
  ;(res as unknown as { send: (...a: unknown[]) => void }).send = (status, reason, ...rest) => (typeof reason === 'string' ? send(status, undefined, ...rest) : send(status, reason, ...rest))
  const reject = (status: number, reason?: string) => {
    if (res.finalResponseSent) return
    try {
      if (reason) res.send(status, reason, {})
      else res.send(status)
    } catch {
      // the transaction is already gone (e.g. the caller cancelled)
    }
  }
  req.on('cancel', (cancel: Srf.SipMessage) => {
    // Runs before createB2BUA's own listener, which would copy these to the callee's CANCEL.
    const headers = (cancel as unknown as { headers?: Record<string, string> } | undefined)?.headers ?? {}
    for (const h of Object.keys(headers)) if (/^(x-)?reason$/i.test(h)) delete headers[h]
    canceled = true
    for (const cb of onCancel) cb()
    // createB2BUA answers 487 itself once the outgoing INVITE is sent; before that, we do.
    setImmediate(() => reject(487))
  })
  return {
    callId: req.get('Call-ID'),
    sdp: req.body ?? '',
    get canceled() {
      return canceled
    },
    reject,
    abandon: (status) => reject(status),
    onCallerCancel: (cb) => void onCancel.push(cb),
    async answer(sdp) {
      try {
        return legOf(await srfOf(srf).createUAS(req, res, { localSdp: sdp }))
      } catch (e) {
        throw SipFailure.from(e)
      }
    },
    async bridge(uri, opts, progress) {
      let calleeAnswered = false
      try {
        const headers = opts.maxForwards === undefined ? undefined : { 'Max-Forwards': String(opts.maxForwards) }
        const { uas, uac } = await srfOf(srf).createB2BUA(
          req,
          res,
          uri,
          {
            ...presenting(opts.callingNumber),
            passFailure: false,
            ...(headers ? { headers } : {}),
            ...(auth ? { auth } : {}),
            ...(opts.sdp !== undefined ? { localSdpB: opts.sdp } : {}),
            ...(opts.answer ? { localSdpA: opts.answer } : {}),
          },
          { ...progressCallbacks(progress), cbFinalizedUac: () => (calleeAnswered = true) },
        )
        return { caller: legOf(uas), callee: legOf(uac) }
      } catch (e) {
        // The callee answered but the caller's transaction was gone when its 200 OK went out: its
        // CANCEL crossed the answer (drachtio-server answered it 487). The library hangs up the callee.
        if (calleeAnswered) throw new CallerGone()
        throw SipFailure.from(e)
      }
    },
  }
}

export function drachtioDialer(srf: Srf, auth?: TrunkAuth): Dialer {
  const withAuth = auth ? { auth } : {}
  return {
    async inviteWithoutOffer(uri, opts, progress) {
      let r: Dialog | UacResult3pcc
      try {
        r = await srfOf(srf).createUAC(uri, { ...presenting(opts.callingNumber), noAck: true, ...withAuth }, progressCallbacks(progress))
      } catch (e) {
        throw SipFailure.from(e)
      }
      if (!('ack' in r)) {
        // A 200 OK without an offer: nothing to bridge with. The library ACKed it; hang up.
        await legOf(r).hangup()
        throw new SipFailure(488, 'Not Acceptable Here (no SDP offer in 200 OK)')
      }
      const pending = r
      return {
        offer: pending.sdp,
        callId: pending.res.get('Call-ID'),
        ack: async (answer) => legOf(await pending.ack(answer)),
        abandon: async () => {
          try {
            await pending.destroy()
          } catch {
            // already gone
          }
        },
      }
    },
    async invite(uri, opts, progress) {
      let d: Dialog | UacResult3pcc
      try {
        d = await srfOf(srf).createUAC(uri, { ...presenting(opts.callingNumber), localSdp: opts.sdp, ...withAuth }, progressCallbacks(progress))
      } catch (e) {
        throw SipFailure.from(e)
      }
      const dialog = d as Dialog
      return { leg: legOf(dialog), answer: dialog.remote.sdp }
    },
  }
}
