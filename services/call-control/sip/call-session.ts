/**
 * One masked call: the object that owns both legs from the first INVITE to the last BYE (the
 * jambonz call-session pattern). Whatever ends first (either party's BYE, the caller's CANCEL,
 * a failure, the ring timeout, the MAX_CALL_SECONDS cut, a shutdown) ends the other leg and
 * closes the record exactly once. It reports to a CallReport and speaks SIP through the small
 * interfaces of legs.ts, so its rules are unit-tested without a SIP stack.
 */
import type { Logger } from '../../../shared/log'
import type { CallReport } from '../call-recorder'
import type { EndStatus } from '../call-state'
import type { CallMedia, MediaPlane, OpenOptions, Side } from '../media/call-media'
import type { MediaSummary } from '../media/media-stats'
import { mediaTimeouts } from '../media/metrics'
import { RtpengineError } from '../media/rtpengine-client'
import { classifyFailure } from './failure'
import { SipFailure, type Dialer, type InboundInvite, type Progress, type SipLeg } from './legs'

export type SessionState = 'setup' | 'ringing' | 'answered' | 'ended'

export interface SessionLimits {
  /** An unanswered leg is cancelled after this (RING_TIMEOUT_S). */
  ringTimeoutMs: number
  /** An answered call is cut after this (MAX_CALL_SECONDS). */
  maxCallMs: number
  /** An answered call whose media stopped both ways this long is ended (MEDIA_TIMEOUT_S); 0: never. */
  mediaTimeoutMs?: number
}

/** The media plane refused or failed: the call is refused (503), never bridged unanchored. */
class MediaFailure extends Error {
  constructor(
    readonly status: number,
    cause: unknown,
  ) {
    super(`media: ${(cause as Error)?.message ?? String(cause)}`)
    this.name = 'MediaFailure'
  }
  static from(e: unknown): MediaFailure {
    // rtpengine refusing an SDP is the offer's fault (488); anything else is ours (503).
    return e instanceof MediaFailure ? e : new MediaFailure(e instanceof RtpengineError ? 488 : 503, e)
  }
}

export interface Endpoint {
  /** Request-URI of the party's leg (through the trunk). */
  uri: string
}

/** One outgoing INVITE's ring: the timeout timer and the means to cancel it. */
class Ring {
  timedOut = false
  private cancel: (() => void) | undefined
  private cancelled = false
  private readonly timer: ReturnType<typeof setTimeout>

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.abort()
    }, ms)
  }

  /** Called when the INVITE is on the wire. */
  sent(cancel: () => void, abortNow: boolean): void {
    this.cancel = cancel
    if (abortNow || this.timedOut) this.abort()
  }

  /** Sends CANCEL once, as soon as the INVITE is out. */
  abort(): void {
    if (this.cancelled || !this.cancel) return
    this.cancelled = true
    try {
      this.cancel()
    } catch {
      // the final response crossed our CANCEL: the leg resolves either way
    }
  }

  done(): void {
    clearTimeout(this.timer)
  }
}

export class CallSession {
  state: SessionState = 'setup'
  /** Resolves when the call is over on the wire: record closed, every leg hung up. */
  readonly done: Promise<void>
  private resolveDone!: () => void
  private legs: SipLeg[] = []
  private ring: Ring | undefined
  private maxTimer: ReturnType<typeof setTimeout> | undefined
  private shuttingDown = false
  private callerCanceled = false
  private media: CallMedia | undefined
  /** Set when the media plane failed during setup (the answer of a bridge). */
  private mediaFailure: MediaFailure | undefined
  private mediaTimer: ReturnType<typeof setInterval> | undefined
  /** The record's end (after the media statistics are in); hangups run meanwhile. */
  private closing: Promise<void> = Promise.resolve()
  /** Told once, when the first outgoing INVITE is on its way (post-dial delay). */
  private onInviteSent: (() => void) | undefined

  constructor(
    readonly id: string,
    private readonly report: CallReport,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    /** Where the call's media is anchored; absent only in unit tests of the signalling rules. */
    private readonly mediaPlane?: MediaPlane,
    private readonly mediaOptions?: OpenOptions,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r))
  }

  /** Opens the call's media on rtpengine (throws MediaFailure 503 when none is available). */
  private openMedia(): CallMedia | undefined {
    if (!this.mediaPlane) return undefined
    try {
      return (this.media = this.mediaPlane.open(this.id, this.mediaOptions))
    } catch (e) {
      throw new MediaFailure(503, e)
    }
  }

  /** `from`'s offer as the other party is to receive it (unchanged without a media plane). */
  private async offerFrom(from: Side, sdp: string): Promise<string> {
    if (!this.media) return sdp
    try {
      return await this.media.offer(from, sdp)
    } catch (e) {
      throw MediaFailure.from(e)
    }
  }

  private async answerFrom(from: Side, sdp: string): Promise<string> {
    if (!this.media) return sdp
    try {
      return await this.media.answer(from, sdp)
    } catch (e) {
      throw (this.mediaFailure = MediaFailure.from(e))
    }
  }

  /** Inbound: ring the other party and bridge the caller to it. */
  async runInbound(
    invite: InboundInvite,
    target: Endpoint,
    callingNumber: string,
    opts: { alreadyCanceled?: boolean; onInviteSent?: () => void } = {},
  ): Promise<void> {
    const alreadyCanceled = opts.alreadyCanceled ?? false
    this.onInviteSent = opts.onInviteSent
    invite.onCallerCancel(() => {
      this.callerCanceled = true
      this.ring?.abort()
    })
    if (alreadyCanceled || this.shuttingDown) {
      invite.reject(alreadyCanceled ? 487 : 503)
      return this.finish(alreadyCanceled ? 'canceled' : 'failed', alreadyCanceled ? 'caller_canceled' : 'shutdown')
    }
    let offer: string | undefined
    try {
      this.openMedia()
      if (this.media) offer = await this.offerFrom('caller', invite.sdp)
    } catch (e) {
      return this.refuseForMedia(invite, e)
    }
    if (this.callerCanceled || this.shuttingDown) {
      invite.reject(this.callerCanceled ? 487 : 503)
      return this.finish(this.callerCanceled ? 'canceled' : 'failed', this.callerCanceled ? 'caller_canceled' : 'shutdown')
    }
    const ring = (this.ring = new Ring(this.limits.ringTimeoutMs))
    try {
      const media = this.media ? { sdp: offer, answer: (sdp: string) => this.answerFrom('callee', sdp) } : {}
      const { caller, callee } = await invite.bridge(target.uri, { callingNumber, ...media }, this.progress(ring))
      ring.done()
      this.connected(caller, callee)
    } catch (e) {
      ring.done()
      if (this.mediaFailure) return this.refuseForMedia(invite, this.mediaFailure)
      const f = SipFailure.from(e)
      const out = classifyFailure({
        leg: 'callee',
        status: f.status,
        reasonPhrase: f.reason,
        ringTimedOut: ring.timedOut,
        callerCanceled: this.callerCanceled,
        shutdown: this.shuttingDown,
      })
      if (out.callerResponse) invite.reject(out.callerResponse)
      this.finish(out.status, out.reason)
    }
  }

  /**
   * Originate (third-party call control, RFC 3725 flow I): INVITE the caller without SDP; its
   * 200 OK carries an offer, which goes to the callee in a second INVITE; the callee's answer
   * goes back to the caller in the ACK. Until then the caller's 200 OK waits un-ACKed.
   */
  async runOriginate(dialer: Dialer, caller: Endpoint, callee: Endpoint, callingNumber: string, opts: { onInviteSent?: () => void } = {}): Promise<void> {
    this.onInviteSent = opts.onInviteSent
    if (this.shuttingDown) return this.finish('failed', 'shutdown')
    try {
      this.openMedia()
    } catch (e) {
      return this.finish('failed', `media_unavailable (${(e as Error).message})`)
    }
    const ringA = (this.ring = new Ring(this.limits.ringTimeoutMs))
    let first: Awaited<ReturnType<Dialer['inviteWithoutOffer']>>
    try {
      first = await dialer.inviteWithoutOffer(caller.uri, { callingNumber }, this.progress(ringA))
    } catch (e) {
      ringA.done()
      return this.failed('caller', e, ringA)
    }
    ringA.done()
    if (this.shuttingDown) {
      await first.abandon()
      return this.finish('failed', 'shutdown')
    }

    let offerForCallee: string
    try {
      offerForCallee = await this.offerFrom('caller', first.offer)
    } catch (e) {
      await first.abandon()
      return this.finish('failed', `media_unavailable (${(e as Error).message})`)
    }
    const ringB = (this.ring = new Ring(this.limits.ringTimeoutMs))
    let second: Awaited<ReturnType<Dialer['invite']>>
    try {
      second = await dialer.invite(callee.uri, { callingNumber, sdp: offerForCallee }, this.progress(ringB))
    } catch (e) {
      ringB.done()
      // Release the caller, who answered and is waiting: ACK then BYE.
      await first.abandon()
      return this.failed('callee', e, ringB)
    }
    ringB.done()

    let answerForCaller: string
    try {
      answerForCaller = await this.answerFrom('callee', second.answer)
    } catch (e) {
      await Promise.all([first.abandon(), second.leg.hangup()])
      return this.finish('failed', `media_unavailable (${(e as Error).message})`)
    }
    let callerLeg: SipLeg
    try {
      callerLeg = await first.ack(answerForCaller)
    } catch (e) {
      await second.leg.hangup()
      return this.finish('failed', `caller_ack_failed (${(e as Error).message})`)
    }
    this.connected(callerLeg, second.leg)
  }

  /** Ends the call now (drain timeout, shutdown): cancels a ringing leg, hangs up answered ones. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true
    if (this.state === 'answered') await this.hangupAll('shutdown')
    else this.ring?.abort()
    await this.done
  }

  private progress(ring: Ring): Progress {
    return {
      onSent: (cancel) => {
        const first = this.onInviteSent
        this.onInviteSent = undefined
        first?.()
        ring.sent(cancel, this.callerCanceled || this.shuttingDown)
      },
      onProvisional: (status) => {
        if (status === 180 || status === 183) this.markRinging()
      },
    }
  }

  private markRinging(): void {
    if (this.state !== 'setup') return
    this.state = 'ringing'
    this.report.ringing()
  }

  private failed(leg: 'caller' | 'callee', e: unknown, ring: Ring): void {
    const f = SipFailure.from(e)
    const out = classifyFailure({ leg, status: f.status, reasonPhrase: f.reason, ringTimedOut: ring.timedOut, shutdown: this.shuttingDown })
    this.finish(out.status, out.reason)
  }

  /** Both legs are up: bridge their fates. */
  private connected(caller: SipLeg, callee: SipLeg): void {
    this.legs = [caller, callee]
    this.state = 'answered'
    // One instant for the record and the recording, so the WAV spans exactly the answered call.
    const at = new Date()
    this.report.answered(at)
    void this.media?.connected?.(at)
    caller.onHangup(() => void this.hangupOther('caller_hangup', callee))
    callee.onHangup(() => void this.hangupOther('callee_hangup', caller))
    // Every new offer (re-INVITE, UPDATE: hold, resume, codec change) goes through rtpengine to
    // the other party, and its answer back the same way.
    caller.onReoffer((sdp) => this.relayOffer('caller', sdp, callee))
    callee.onReoffer((sdp) => this.relayOffer('callee', sdp, caller))
    caller.onOfferRequest(() => this.offerOnRequest('caller'))
    callee.onOfferRequest(() => this.offerOnRequest('callee'))
    this.maxTimer = setTimeout(() => void this.hangupAll('max_duration'), this.limits.maxCallMs)
    this.watchMedia()
    // A shutdown that raced the answer still ends the call.
    if (this.shuttingDown) void this.hangupAll('shutdown')
  }

  private async relayOffer(from: Side, sdp: string, to: SipLeg): Promise<string> {
    const offer = await this.offerFrom(from, sdp)
    const answer = await to.reoffer(offer)
    return this.answerFrom(from === 'caller' ? 'callee' : 'caller', answer)
  }

  /**
   * A re-INVITE without an offer from `side`: we offer what it already has (rtpengine's side of
   * the session), and its answer from the ACK updates rtpengine as its answer to the other
   * party's last offer. The other party's view does not change, so it is not re-INVITEd.
   */
  private async offerOnRequest(side: Side): Promise<{ offer: string; answered(sdp: string): Promise<void> }> {
    const offer = this.media?.lastSentTo(side)
    if (!offer) throw new SipFailure(488, 'Not Acceptable Here')
    return {
      offer,
      answered: async (sdp) => {
        await this.answerFrom(side, sdp)
      },
    }
  }

  /** Ends the call when rtpengine saw no packet either way for MEDIA_TIMEOUT_S (or dropped the call). */
  private watchMedia(): void {
    const timeout = this.limits.mediaTimeoutMs ?? 0
    const media = this.media
    if (!media || timeout <= 0) return
    const since = Date.now()
    let checking = false
    this.mediaTimer = setInterval(
      async () => {
        if (checking || this.state !== 'answered') return
        checking = true
        try {
          const last = await media.lastActivity()
          // Unanswerable (rtpengine unreachable): not proof that media stopped; ask again later.
          if (last === undefined || this.state !== 'answered') return
          if (last === 'gone' || Date.now() - Math.max(last, since) >= timeout) {
            mediaTimeouts.inc()
            await this.hangupAll('media_timeout')
          }
        } finally {
          checking = false
        }
      },
      Math.max(250, Math.min(10_000, timeout / 4)),
    )
  }

  private async hangupOther(reason: string, other: SipLeg): Promise<void> {
    if (this.state === 'ended') return
    this.close('completed', reason)
    await Promise.all([other.hangup(), this.closing])
    this.resolveDone()
  }

  private async hangupAll(reason: string): Promise<void> {
    if (this.state === 'ended') return
    this.close('completed', reason)
    await Promise.all([...this.legs.map((l) => l.hangup()), this.closing])
    this.resolveDone()
  }

  /** Ends a call that has no answered leg left to hang up. */
  private finish(status: EndStatus, reason: string): void {
    if (this.state === 'ended') return
    this.close(status, reason)
    void this.closing.then(() => this.resolveDone())
  }

  /** Refuses the inbound call because the media plane failed (503, or 488 for an SDP rtpengine refused). */
  private refuseForMedia(invite: InboundInvite, e: unknown): void {
    const f = MediaFailure.from(e)
    this.log.warn({ call_id: this.id, err: f.message }, 'call refused: media not anchored')
    invite.reject(f.status)
    this.finish('failed', `media_unavailable (${f.message})`)
  }

  private close(status: EndStatus, reason: string): void {
    this.state = 'ended'
    const at = new Date()
    clearTimeout(this.maxTimer)
    clearInterval(this.mediaTimer)
    this.ring?.done()
    this.log.debug({ call_id: this.id, status, reason }, 'call ended')
    // Every end path deletes the call in rtpengine; its statistics go on the record.
    const media = this.media
    if (!media) return this.report.ended(status, reason, at)
    this.closing = media.end(at).then(
      (summary: MediaSummary | undefined) => this.report.ended(status, reason, at, summary),
      () => this.report.ended(status, reason, at),
    )
  }
}
