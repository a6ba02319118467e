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
import { classifyFailure } from './failure'
import { CallerGone, SipFailure, type Dialer, type InboundInvite, type Progress, type SipLeg } from './legs'

export type SessionState = 'setup' | 'ringing' | 'answered' | 'ended'

export interface SessionLimits {
  /** An unanswered leg is cancelled after this (RING_TIMEOUT_S). */
  ringTimeoutMs: number
  /** An answered call is cut after this (MAX_CALL_SECONDS). */
  maxCallMs: number
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
  /** Told once, when the first outgoing INVITE is on its way (post-dial delay). */
  private onInviteSent: (() => void) | undefined
  /** Answers a still-waiting inbound caller when the call is given up (shutdown bound). */
  private abandonCaller: (() => void) | undefined

  constructor(
    readonly id: string,
    private readonly report: CallReport,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r))
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
    const ring = (this.ring = new Ring(this.limits.ringTimeoutMs))
    try {
      const { caller, callee } = await invite.bridge(target.uri, { callingNumber, maxForwards: target.maxForwards }, this.progress(ring))
      ring.done()
      this.connected(caller, callee)
    } catch (e) {
      ring.done()
      if (e instanceof CallerGone) return this.finish('canceled', 'caller_canceled (the CANCEL crossed the answer)')
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

    const ringB = (this.ring = new Ring(this.limits.ringTimeoutMs))
    let second: Awaited<ReturnType<Dialer['invite']>>
    try {
      second = await dialer.invite(callee.uri, { callingNumber, sdp: first.offer }, this.progress(ringB))
    } catch (e) {
      ringB.done()
      // Release the caller, who answered and is waiting: ACK then BYE.
      await first.abandon()
      return this.failed('callee', e, ringB)
    }
    ringB.done()

    let callerLeg: SipLeg
    try {
      callerLeg = await first.ack(second.answer)
    } catch (e) {
      await second.leg.hangup()
      return this.finish('failed', `caller_ack_failed (${(e as Error).message})`)
    }
    this.connected(callerLeg, second.leg)
  }

  /**
   * Ends the call now (drain timeout, shutdown): cancels a ringing leg, hangs up answered ones.
   * Bounded: a far end that answers neither our CANCEL nor our BYE within `graceMs` is given up
   * on, and the record is closed anyway.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.shuttingDown = true
    if (this.state === 'answered') void this.hangupAll('shutdown')
    else this.ring?.abort()
    let timer: ReturnType<typeof setTimeout> | undefined
    const ended = await Promise.race([this.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))])
    clearTimeout(timer)
    if (ended) return
    this.abandonCaller?.()
    this.finish('failed', 'shutdown (the far end answered neither CANCEL nor BYE)')
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
      if (this.state === 'answered') this.report.answered()
    })
    // A caller that hangs up before it ever ACKed our 200 OK never had a call.
    caller.onHangup((how) => void this.hangupOther(how === 'lost' ? 'untrusted_bye' : caller.acked ? 'caller_hangup' : 'caller_no_ack', callee, caller.acked ? 'completed' : 'failed'))
    callee.onHangup((how) => void this.hangupOther(how === 'lost' ? 'untrusted_bye' : 'callee_hangup', caller))
    // In-dialog requests pass through to the other party: new offers (hold, codec change) in
    // re-INVITE or UPDATE, offer requests (re-INVITE without SDP, answer in the ACK), INFO (DTMF).
    for (const [from, to] of [
      [caller, callee],
      [callee, caller],
    ] as const) {
      from.onReoffer((sdp, method) => to.reoffer(sdp, method))
      from.onOfferRequest(() => to.requestOffer())
      from.onInfo((info) => to.info(info))
    }
    this.maxTimer = setTimeout(() => void this.hangupAll('max_duration'), this.limits.maxCallMs)
    // A shutdown that raced the answer still ends the call.
    if (this.shuttingDown) void this.hangupAll('shutdown')
  }

  private async hangupOther(reason: string, other: SipLeg, status: EndStatus = 'completed'): Promise<void> {
    if (this.state === 'ended') return
    this.close(status, reason)
    await other.hangup()
    this.resolveDone()
  }

  private async hangupAll(reason: string): Promise<void> {
    if (this.state === 'ended') return
    this.close('completed', reason)
    await Promise.all(this.legs.map((l) => l.hangup()))
    this.resolveDone()
  }

  /** Ends a call that has no answered leg left to hang up. */
  private finish(status: EndStatus, reason: string): void {
    if (this.state === 'ended') return
    this.close(status, reason)
    this.resolveDone()
  }

  private close(status: EndStatus, reason: string): void {
    this.state = 'ended'
    clearTimeout(this.maxTimer)
    this.ring?.done()
    this.report.ended(status, reason)
    this.log.debug({ call_id: this.id, status, reason }, 'call ended')
  }
}
