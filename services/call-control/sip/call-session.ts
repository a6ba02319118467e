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
import { PLACEHOLDER_SDP, type CallMedia, type MediaPlane, type OpenOptions, type RecordingHooks, type Side } from '../../../shared/media/call-media'
import type { DigitSource } from '../../../shared/media/dtmf-events'
import type { MediaSummary } from '../../../shared/media/media-stats'
import { mediaTimeouts } from '../../../shared/media/metrics'
import { RtpengineError } from '../../../shared/media/rtpengine-client'
import { classifyFailure } from './failure'
import { CallerGone, SipFailure, type Dialer, type InboundInvite, type OfferMethod, type Progress, type SipLeg } from './legs'

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
  /** Max-Forwards for the outgoing INVITE (the incoming one's, decremented). */
  maxForwards?: number
}

/**
 * How long a shutdown waits for a leg to end after our CANCEL or BYE before giving up on it (a
 * far end that never answers must not hold the process).
 */
export const SHUTDOWN_GRACE_MS = 2000

/** A prompt ready to play: the file rtpengine reads and how long it lasts. */
export interface PlayablePrompt {
  path: string
  durationMs: number
}

/** What a script can do with a caller who is connected to the media plane only (no callee yet). */
export interface Ivr {
  /** Plays to the caller and waits for its end; earlier if the caller hangs up or, with `bargeIn`, types a digit. */
  play(prompt: PlayablePrompt, opts?: { bargeIn?: boolean }): Promise<void>
  /** Digits the caller types, until `#` (not included), `max` digits, `interDigitMs` after the last, or `firstDigitMs` with none. */
  collectDigits(o: { max: number; firstDigitMs: number; interDigitMs: number }): Promise<string>
  /** Forgets digits typed so far (before asking again). */
  clearDigits(): void
  /** The caller hung up (or the call is being shut down): the script should stop. */
  readonly gone: boolean
}

/** How a script ends: bridge the caller to a callee (with the record to keep), or hang up. */
export type IvrOutcome =
  | {
      kind: 'bridge'
      target: Endpoint
      callingNumber: string
      report: CallReport
      limits?: Partial<SessionLimits>
      /** Record the bridged call from the offer to the callee on (a PIN call to a session with `record: true`). */
      recording?: RecordingHooks
    }
  | { kind: 'end'; reason: string; report?: CallReport }

/** A report that writes nothing (a call whose record starts later, or never). */
const nowhere: CallReport = { ringing() {}, answered() {}, ended() {} }

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
  /** Answers a still-waiting inbound caller when the call is given up (shutdown bound). */
  private abandonCaller: (() => void) | undefined
  /** Per sender: an answer from its last ACK still being relayed (its next INFO waits for it). */
  private readonly answering: Record<Side, Promise<void>> = { caller: Promise.resolve(), callee: Promise.resolve() }
  /** Told once, when the first outgoing INVITE is on its way (post-dial delay). */
  private onInviteSent: (() => void) | undefined

  /** The caller's leg while it is connected to the media plane only (answered by us, no callee yet). */
  private ivrLeg: SipLeg | undefined
  private callerGone = false
  private readonly digits: string[] = []
  private wakeUp: (() => void) | undefined

  constructor(
    readonly id: string,
    private report: CallReport,
    private limits: SessionLimits,
    private readonly log: Logger,
    /** Where the call's media is anchored; absent only in unit tests of the signalling rules. */
    private readonly mediaPlane?: MediaPlane,
    private readonly mediaOptions?: OpenOptions,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r))
  }

  /** Opens the call's media on rtpengine (throws MediaFailure 503 when none is available). */
  private async openMedia(): Promise<CallMedia | undefined> {
    if (!this.mediaPlane) return undefined
    try {
      return (this.media = await this.mediaPlane.open(this.id, this.mediaOptions))
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
    this.abandonCaller = () => invite.abandon(503)
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
      if (this.mediaPlane) {
        await this.openMedia()
        offer = await this.offerFrom('caller', invite.sdp)
      }
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
      const { caller, callee } = await invite.bridge(target.uri, { callingNumber, maxForwards: target.maxForwards, ...media }, this.progress(ring))
      ring.done()
      this.connected(caller, callee)
    } catch (e) {
      ring.done()
      if (e instanceof CallerGone) return this.finish('canceled', 'caller_canceled (the CANCEL crossed the answer)')
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
      if (this.mediaPlane) await this.openMedia()
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

  /**
   * Inbound with the media plane before the callee (a greeting, PIN entry, or a prompt for a caller
   * who cannot be bridged): the caller's offer goes to rtpengine, which is answered with a
   * placeholder under the callee's tag, and we answer the caller with rtpengine's SDP. The script
   * plays prompts and reads digits (rtpengine's DTMF events; the caller's digits are blocked from
   * the callee side meanwhile). If it says bridge, the caller's SDP is offered again and goes to
   * the callee; the callee's answer replaces the placeholder under the same tag (port latching
   * keeps the caller's port: no re-INVITE to the caller).
   */
  async runAnsweredInbound(invite: InboundInvite, dialer: Dialer, digitsFrom: DigitSource | undefined, script: (ivr: Ivr) => Promise<IvrOutcome>): Promise<void> {
    invite.onCallerCancel(() => {
      this.callerCanceled = true
      this.wake()
    })
    if (this.shuttingDown) {
      invite.reject(503)
      return this.finish('failed', 'shutdown')
    }
    let forCaller: string
    try {
      const media = await this.openMedia()
      if (!media) throw new MediaFailure(503, new Error('no media plane: prompts need rtpengine'))
      await this.offerFrom('caller', invite.sdp)
      forCaller = await this.answerFrom('callee', PLACEHOLDER_SDP)
    } catch (e) {
      return this.refuseForMedia(invite, e)
    }
    if (this.callerCanceled) {
      invite.reject(487)
      return this.finish('canceled', 'caller_canceled')
    }
    let caller: SipLeg
    try {
      caller = await invite.answer(forCaller)
    } catch (e) {
      const f = SipFailure.from(e)
      return this.finish(this.callerCanceled ? 'canceled' : 'failed', this.callerCanceled ? 'caller_canceled' : `caller_answer_failed (SIP ${f.status})`)
    }
    this.ivrLeg = caller
    caller.onHangup(() => {
      if (this.state === 'answered') return // connected() handles it from here
      this.callerGone = true
      this.callerCanceled = true // a callee being rung is cancelled, and the record says the caller gave up
      this.ring?.abort()
      this.wake()
    })
    const media = this.media!
    const unsubscribe = digitsFrom?.subscribe(media.mediaCallId, (digit, tag) => {
      if (tag !== 'caller') return
      this.digits.push(digit)
      this.wake()
    })
    let outcome: IvrOutcome
    try {
      // Nothing the caller types here may reach anyone: its digits are dropped (still reported to us).
      await media.blockDtmf('caller', true)
      outcome = await script(this.ivr())
    } catch (e) {
      this.log.warn({ call_id: this.id, err: (e as Error).message }, 'prompt script failed')
      outcome = { kind: 'end', reason: `media_failed (${(e as Error).message})` }
    } finally {
      unsubscribe?.()
    }
    if (this.callerGone || this.shuttingDown || outcome.kind === 'end') {
      if (outcome.kind === 'end') this.report = outcome.report ?? nowhere
      else this.report = outcome.report
      // The platform answered the caller: the record counts from there.
      this.report.answered()
      const reason = outcome.kind === 'end' ? outcome.reason : this.shuttingDown ? 'shutdown' : 'caller_hangup'
      this.close('completed', reason)
      await Promise.all([this.callerGone ? undefined : caller.hangup(), this.closing])
      this.resolveDone()
      return
    }
    this.report = outcome.report
    this.limits = { ...this.limits, ...outcome.limits }
    // Recording starts with the offer to the callee (rtpengine's metadata then has both SDPs), after the PIN.
    if (outcome.recording) media.recordFromNextOffer(outcome.recording)
    await this.dialCallee(caller, dialer, outcome.target, outcome.callingNumber, invite.sdp)
  }

  /** After the script: the callee is rung with the caller's offer (again through rtpengine) and, when it answers, bridged. */
  private async dialCallee(caller: SipLeg, dialer: Dialer, target: Endpoint, callingNumber: string, callerSdp: string): Promise<void> {
    const ring = (this.ring = new Ring(this.limits.ringTimeoutMs))
    let callee: Awaited<ReturnType<Dialer['invite']>>
    try {
      const offer = await this.offerFrom('caller', callerSdp)
      callee = await dialer.invite(target.uri, { callingNumber, sdp: offer }, this.progress(ring))
    } catch (e) {
      ring.done()
      const f = e instanceof MediaFailure ? new SipFailure(500, e.message) : SipFailure.from(e)
      const out = classifyFailure({ leg: 'callee', status: f.status, reasonPhrase: f.reason, ringTimedOut: ring.timedOut, callerCanceled: this.callerCanceled, shutdown: this.shuttingDown })
      this.close(out.status, out.reason)
      await Promise.all([this.callerGone ? undefined : caller.hangup(), this.closing])
      this.resolveDone()
      return
    }
    ring.done()
    try {
      // The callee's answer replaces the placeholder; what rtpengine sends the caller does not change.
      await this.answerFrom('callee', callee.answer)
      await this.media!.blockDtmf('caller', false)
    } catch (e) {
      this.close('failed', `media_unavailable (${(e as Error).message})`)
      await Promise.all([caller.hangup(), callee.leg.hangup(), this.closing])
      this.resolveDone()
      return
    }
    if (this.callerGone) {
      this.close('canceled', 'caller_canceled')
      await Promise.all([callee.leg.hangup(), this.closing])
      this.resolveDone()
      return
    }
    this.connected(caller, callee.leg)
  }

  private wake(): void {
    const w = this.wakeUp
    this.wakeUp = undefined
    w?.()
  }

  /** Waits up to `ms`, or less when woken (a digit, the caller hanging up, a shutdown). */
  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms))
      const prev = this.wakeUp
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.wakeUp = () => {
        prev?.()
        done()
      }
    })
  }

  private ivr(): Ivr {
    const session = this
    const gone = () => this.callerGone || this.shuttingDown
    return {
      get gone() {
        return gone()
      },
      clearDigits: () => void this.digits.splice(0),
      play: async (prompt, opts = {}) => {
        if (gone()) return
        const ms = await this.media!.play('caller', prompt.path)
        // rtpengine reports no end of playback: we time it from its own duration (or the file's).
        const until = Date.now() + (ms > 0 ? ms : prompt.durationMs)
        while (!gone() && Date.now() < until) {
          if (opts.bargeIn && this.digits.length) {
            await this.media!.stopPlay('caller')
            return
          }
          await this.nap(until - Date.now())
        }
      },
      async collectDigits(o) {
        let out = ''
        let deadline = Date.now() + o.firstDigitMs
        while (!gone()) {
          while (session.digits.length) {
            const d = session.digits.shift()!
            if (d === '#') return out
            out += d
            if (out.length >= o.max) return out
            deadline = Date.now() + o.interDigitMs
          }
          if (Date.now() >= deadline) return out
          await session.nap(deadline - Date.now())
        }
        return out
      },
    }
  }

  /**
   * Ends the call now (drain timeout, shutdown): cancels a ringing leg, hangs up answered ones.
   * Bounded: a far end that answers neither our CANCEL nor our BYE within `graceMs` is given up
   * on, and the record is closed anyway.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.shuttingDown = true
    this.wake()
    if (this.state === 'answered') void this.hangupAll('shutdown')
    else this.ring?.abort()
    let timer: ReturnType<typeof setTimeout> | undefined
    const ended = await Promise.race([this.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))])
    clearTimeout(timer)
    if (ended) return
    this.abandonCaller?.()
    this.finish('failed', 'shutdown (the far end answered neither CANCEL nor BYE)')
    await this.closing
    this.resolveDone()
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
    // The call counts as answered once the caller ACKs our 200 OK (at once for originate's legs).
    caller.onAck(() => {
      if (this.state !== 'answered') return
      // One instant for the record and the recording, so the WAV spans exactly the answered call.
      const at = new Date()
      this.report.answered(at)
      void this.media?.connected?.(at)
    })
    // A caller that hangs up before it ever ACKed our 200 OK never had a call.
    caller.onHangup((how) => void this.hangupOther(how === 'lost' ? 'untrusted_bye' : caller.acked ? 'caller_hangup' : 'caller_no_ack', callee, caller.acked ? 'completed' : 'failed'))
    callee.onHangup((how) => void this.hangupOther(how === 'lost' ? 'untrusted_bye' : 'callee_hangup', caller))
    // In-dialog requests pass through to the other party: new offers (hold, codec change) in
    // re-INVITE or UPDATE and offer requests (re-INVITE without SDP, answer in the ACK), each
    // offer and answer through rtpengine; INFO (DTMF) as it is.
    for (const [side, from, to] of [
      ['caller', caller, callee],
      ['callee', callee, caller],
    ] as const) {
      from.onReoffer((sdp, method) => this.relayOffer(side, sdp, to, method))
      from.onOfferRequest(() => this.relayOfferRequest(side, to))
      // An INFO waits for the answer its sender put in an ACK just before it: the other party must
      // get that ACK first (the answer may still be on its way through rtpengine).
      from.onInfo(async (info) => {
        await this.answering[side]
        return to.info(info)
      })
    }
    this.maxTimer = setTimeout(() => void this.hangupAll('max_duration'), this.limits.maxCallMs)
    this.watchMedia()
    // A shutdown that raced the answer still ends the call.
    if (this.shuttingDown) void this.hangupAll('shutdown')
  }

  private async relayOffer(from: Side, sdp: string, to: SipLeg, method: OfferMethod): Promise<string> {
    const offer = await this.offerFrom(from, sdp)
    const answer = await to.reoffer(offer, method)
    return this.answerFrom(from === 'caller' ? 'callee' : 'caller', answer)
  }

  /**
   * A re-INVITE without an offer from `side`: the other party is asked for an offer the same way;
   * its offer reaches `side` through rtpengine, and `side`'s answer (in its ACK) goes back through
   * rtpengine to the other party's ACK.
   */
  private async relayOfferRequest(side: Side, to: SipLeg): Promise<{ offer: string; answer(sdp: string): void }> {
    const asked = await to.requestOffer()
    if (!this.media) return asked
    const offer = await this.offerFrom(side === 'caller' ? 'callee' : 'caller', asked.offer)
    return {
      offer,
      answer: (sdp) => {
        this.answering[side] = this.answerFrom(side, sdp).then(
          (a) => asked.answer(a),
          (err) => this.log.warn({ call_id: this.id, err }, 'the answer to an offer request could not be anchored'),
        )
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

  private async hangupOther(reason: string, other: SipLeg, status: EndStatus = 'completed'): Promise<void> {
    if (this.state === 'ended') return
    this.close(status, reason)
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
