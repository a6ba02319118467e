/**
 * drachtio-srf behind the interfaces of legs.ts. Notes on the library (5.x) that shape this:
 * - the caller id option of createUAC/createB2BUA is `callingNumber` (a `callerId` key is
 *   silently ignored); we also set `callingName` to the masked number, because createB2BUA
 *   otherwise copies the caller's display name (often their own number) to the other leg;
 * - createUAC without `localSdp` and with `noAck` resolves on the 200 OK with `{sdp, ack,
 *   destroy}` and leaves the ACK to us (third-party call control);
 * - a Dialog emits `destroy` only when the far end hangs up; our own `destroy()` sends BYE;
 * - the typings lack several options and properties, hence the local types below.
 */
import type Srf from 'drachtio-srf'
import { SipFailure, type Dialer, type InboundInvite, type Progress, type SipLeg } from './legs'

type Dialog = Srf.Dialog & { connected?: boolean; local: { sdp: string; contact?: string } }
type SrfRequest = Srf.SrfRequest & { cancel(opts?: object, cb?: (err: unknown) => void): void }
type SrfResponse = Srf.SrfResponse

interface UacOptions {
  callingNumber: string
  localSdpB?: string
  localSdpA?: (sdp: string) => Promise<string>
  callingName?: string
  localSdp?: string
  noAck?: boolean
  headers?: Record<string, string>
  passFailure?: boolean
}

type UacResult3pcc = { sdp: string; res: Srf.SipMessage; ack(sdp: string): Promise<Dialog>; destroy(): Promise<void> }

interface SrfLike {
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

export function legOf(d: Dialog): SipLeg {
  let gone = false
  let onOfferRequest: Parameters<SipLeg['onOfferRequest']>[0] | undefined
  // A re-INVITE without SDP: our offer goes in the 200 OK, the far end's answer comes in the ACK.
  const offerRequest = (_req: Srf.SrfRequest, res: SrfResponse) => {
    if (!onOfferRequest) return res.send(488)
    onOfferRequest().then(
      ({ offer, answered }) => {
        d.local.sdp = offer
        ;(d as unknown as { once(ev: 'ack', cb: (ack: Srf.SrfRequest) => void): void }).once('ack', (ack) => {
          if (ack.body) void answered(ack.body).catch(() => undefined)
        })
        res.send(200, { body: offer, headers: { 'Content-Type': 'application/sdp', ...(d.local.contact ? { Contact: d.local.contact } : {}) } })
      },
      () => res.send(500),
    )
  }
  return {
    callId: d.sip.callId,
    onHangup(cb) {
      d.on('destroy', () => {
        gone = true
        cb()
      })
    },
    onReoffer(cb) {
      const relay = (req: Srf.SrfRequest, res: SrfResponse, isInvite: boolean) => {
        cb(req.body).then(
          (answer) => {
            if (isInvite) d.local.sdp = answer
            res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp', ...(d.local.contact ? { Contact: d.local.contact } : {}) } })
          },
          (e) => {
            const f = SipFailure.from(e)
            res.send(f.status >= 400 && f.status < 700 ? f.status : 500)
          },
        )
      }
      d.on('modify', (req: Srf.SrfRequest, res: SrfResponse) => {
        if (req.body) relay(req, res, true)
        else offerRequest(req, res)
      })
      // UPDATE with an offer changes the session like a re-INVITE does; without one it only refreshes.
      d.on('update', (req: Srf.SrfRequest, res: SrfResponse) => {
        if (req.body) relay(req, res, false)
        else res.send(200)
      })
    },
    onOfferRequest(cb) {
      onOfferRequest = cb
    },
    async reoffer(sdp) {
      return (await d.modify(sdp)) as string
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

/** The inbound INVITE as the call session sees it. */
export function inboundInvite(srf: Srf, req: Srf.SrfRequest, res: SrfResponse): InboundInvite & { readonly canceled: boolean } {
  let canceled = false
  const onCancel: (() => void)[] = []
  const reject = (status: number, reason?: string) => {
    if (res.finalResponseSent) return
    try {
      if (reason) res.send(status, reason, {})
      else res.send(status)
    } catch {
      // the transaction is already gone (e.g. the caller cancelled)
    }
  }
  req.on('cancel', () => {
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
    onCallerCancel: (cb) => void onCancel.push(cb),
    async bridge(uri, opts, progress) {
      try {
        const { uas, uac } = await srfOf(srf).createB2BUA(
          req,
          res,
          uri,
          {
            ...presenting(opts.callingNumber),
            passFailure: false,
            ...(opts.sdp !== undefined ? { localSdpB: opts.sdp } : {}),
            ...(opts.answer ? { localSdpA: opts.answer } : {}),
          },
          progressCallbacks(progress),
        )
        return { caller: legOf(uas), callee: legOf(uac) }
      } catch (e) {
        throw SipFailure.from(e)
      }
    },
  }
}

export function drachtioDialer(srf: Srf): Dialer {
  return {
    async inviteWithoutOffer(uri, opts, progress) {
      let r: Dialog | UacResult3pcc
      try {
        r = await srfOf(srf).createUAC(uri, { ...presenting(opts.callingNumber), noAck: true }, progressCallbacks(progress))
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
        d = await srfOf(srf).createUAC(uri, { ...presenting(opts.callingNumber), localSdp: opts.sdp }, progressCallbacks(progress))
      } catch (e) {
        throw SipFailure.from(e)
      }
      const dialog = d as Dialog
      return { leg: legOf(dialog), answer: dialog.remote.sdp }
    },
  }
}
