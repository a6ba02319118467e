/**
 * The call session's rules with scripted SIP: legs and INVITEs whose outcomes the test decides,
 * and a report that collects what the session would write to the record.
 */
import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../../shared/log'
import type { CallReport } from '../call-recorder'
import type { EndStatus } from '../call-state'
import { CallRegistry } from './call-registry'
import { CallSession } from './call-session'
import { classifyFailure } from './failure'
import { SipFailure, type Dialer, type InboundInvite, type InfoBody, type OfferMethod, type Progress, type SipLeg } from './legs'
import type { CallMedia, MediaPlane, RecordingHooks, Side } from '../../../shared/media/call-media'
import { MediaUnavailable } from '../../../shared/media/rtpengine-pool'
import { RtpengineUnavailable } from '../../../shared/media/rtpengine-client'

const log = createLogger({ level: 'silent' })

/** A deferred outcome the test settles. */
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

class FakeLeg implements SipLeg {
  hungUp = 0
  reoffers: string[] = []
  infos: InfoBody[] = []
  acked = true
  private ackCbs: (() => void)[] = []
  private hangupCb: (() => void) | undefined
  private reofferCb: ((sdp: string, method: OfferMethod) => Promise<string>) | undefined
  private offerRequestCb: (() => Promise<{ offer: string; answer(sdp: string): void }>) | undefined
  private infoCb: ((i: InfoBody) => Promise<number>) | undefined
  answers: string[] = []
  constructor(
    readonly callId: string,
    readonly log: string[],
  ) {}
  onAck(cb: () => void) {
    if (this.acked) cb()
    else this.ackCbs.push(cb)
  }
  /** The far end ACKs our 200 OK. */
  ack() {
    this.acked = true
    for (const cb of this.ackCbs.splice(0)) cb()
  }
  onHangup(cb: () => void) {
    this.hangupCb = cb
  }
  onReoffer(cb: (sdp: string, method: OfferMethod) => Promise<string>) {
    this.reofferCb = cb
  }
  async reoffer(sdp: string, method: OfferMethod = 'INVITE') {
    this.reoffers.push(`${method}:${sdp}`)
    return `answer-to(${sdp})`
  }
  onOfferRequest(cb: () => Promise<{ offer: string; answer(sdp: string): void }>) {
    this.offerRequestCb = cb
  }
  async requestOffer() {
    return { offer: `offer-of(${this.callId})`, answer: (sdp: string) => void this.answers.push(sdp) }
  }
  onInfo(cb: (i: InfoBody) => Promise<number>) {
    this.infoCb = cb
  }
  async info(i: InfoBody) {
    this.infos.push(i)
    return 200
  }
  farOfferRequest() {
    return this.offerRequestCb!()
  }
  farInfo(i: InfoBody) {
    return this.infoCb!(i)
  }
  async hangup() {
    this.hungUp++
    this.log.push(`BYE→${this.callId}`)
  }
  /** The far end hangs up. */
  bye() {
    this.log.push(`BYE←${this.callId}`)
    this.hangupCb?.()
  }
  farReoffer(sdp: string, method: OfferMethod = 'INVITE') {
    return this.reofferCb!(sdp, method)
  }
}

class Report implements CallReport {
  events: string[] = []
  end: { status: EndStatus; reason: string } | undefined
  media: unknown
  ringing() {
    this.events.push('ringing')
  }
  answered() {
    this.events.push('answered')
  }
  ended(status: EndStatus, reason: string, _at?: Date, media?: unknown) {
    this.events.push(`ended:${status}`)
    this.end = { status, reason }
    this.media = media
  }
}

/** An inbound INVITE whose bridge the test resolves. */
class FakeInvite implements InboundInvite {
  readonly callId = 'in-1'
  sdp = 'caller-offer'
  bridgeOpts: { sdp?: string; answer?: (sdp: string) => Promise<string> } | undefined
  rejected: number[] = []
  cancels = 0
  bridgeCalls: { uri: string; callingNumber: string }[] = []
  private cancelCb: (() => void) | undefined
  readonly outcome = deferred<{ caller: SipLeg; callee: SipLeg }>()
  progress: Progress | undefined
  reject(status: number) {
    this.rejected.push(status)
  }
  answeredWith: string[] = []
  readonly callerLeg = new FakeLeg('in-1', [])
  async answer(sdp: string) {
    this.answeredWith.push(sdp)
    return this.callerLeg
  }
  abandon(status: number) {
    this.rejected.push(status)
  }
  onCallerCancel(cb: () => void) {
    this.cancelCb = cb
  }
  async bridge(uri: string, opts: { callingNumber: string; sdp?: string; answer?: (sdp: string) => Promise<string> }, progress: Progress) {
    const { callingNumber, ...media } = opts
    this.bridgeCalls.push({ uri, callingNumber })
    this.bridgeOpts = { ...(media.sdp !== undefined ? { sdp: media.sdp } : {}), ...(media.answer ? { answer: media.answer } : {}) }
    this.progress = progress
    progress.onSent?.(() => {
      this.cancels++
      this.outcome.reject(new SipFailure(487, 'Request Terminated'))
    })
    return this.outcome.promise
  }
  callerCancels() {
    this.cancelCb?.()
  }
}

/** A dialer recording the 3PCC sequence on a shared wire log. */
class FakeDialer implements Dialer {
  wire: string[] = []
  first = deferred<string>() // resolves with the caller's offer
  second = deferred<string>() // resolves with the callee's answer
  ackFails = false
  callerLeg = new FakeLeg('A', this.wire)
  calleeLeg = new FakeLeg('B', this.wire)
  progressA: Progress | undefined
  progressB: Progress | undefined

  async inviteWithoutOffer(uri: string, opts: { callingNumber: string }, progress: Progress) {
    this.wire.push(`INVITE→${uri} from=${opts.callingNumber} sdp=none`)
    this.progressA = progress
    progress.onSent?.(() => {
      this.wire.push('CANCEL→A')
      this.first.reject(new SipFailure(487, 'Request Terminated'))
    })
    const offer = await this.first.promise
    this.wire.push(`200←A offer=${offer}`)
    return {
      offer,
      callId: 'A',
      ack: async (answer: string) => {
        if (this.ackFails) throw new Error('no Contact')
        this.wire.push(`ACK→A answer=${answer}`)
        return this.callerLeg
      },
      abandon: async () => {
        this.wire.push('ACK→A', 'BYE→A')
      },
    }
  }

  async invite(uri: string, opts: { callingNumber: string; sdp: string }, progress: Progress) {
    this.wire.push(`INVITE→${uri} from=${opts.callingNumber} sdp=${opts.sdp}`)
    this.progressB = progress
    progress.onSent?.(() => {
      this.wire.push('CANCEL→B')
      this.second.reject(new SipFailure(487, 'Request Terminated'))
    })
    const answer = await this.second.promise
    this.wire.push(`200←B answer=${answer}`, 'ACK→B')
    return { leg: this.calleeLeg, answer }
  }
}

const limits = { ringTimeoutMs: 5000, maxCallMs: 60_000 }
const tick = () => new Promise((r) => setTimeout(r, 0))

let seq = 0
function inbound(l = limits) {
  const report = new Report()
  const invite = new FakeInvite()
  const session = new CallSession(`call_${++seq}`, report, l, log)
  const wire: string[] = []
  const caller = new FakeLeg('caller', wire)
  const callee = new FakeLeg('callee', wire)
  const run = session.runInbound(invite, { uri: 'sip:+12025550111@trunk' }, '+12025550100')
  return { report, invite, session, caller, callee, run, wire }
}

describe('call session: inbound bridge', () => {
  test('rings the target with the masked number, records ringing then answered', async () => {
    const c = inbound()
    expect(c.invite.bridgeCalls).toEqual([{ uri: 'sip:+12025550111@trunk', callingNumber: '+12025550100' }])
    c.invite.progress!.onProvisional!(100)
    c.invite.progress!.onProvisional!(180)
    c.invite.progress!.onProvisional!(183)
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    expect(c.session.state).toBe('answered')
    expect(c.report.events).toEqual(['ringing', 'answered'])
  })

  test("the caller's BYE hangs up the callee and closes the record once", async () => {
    const c = inbound()
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    c.caller.bye()
    c.callee.bye() // a crossing BYE changes nothing
    await c.session.done
    expect(c.wire).toEqual(['BYE←caller', 'BYE→callee', 'BYE←callee'])
    expect(c.caller.hungUp).toBe(0)
    expect(c.report.events).toEqual(['answered', 'ended:completed'])
    expect(c.report.end?.reason).toBe('caller_hangup')
  })

  test("the callee's BYE hangs up the caller", async () => {
    const c = inbound()
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    c.callee.bye()
    await c.session.done
    expect(c.caller.hungUp).toBe(1)
    expect(c.report.end).toEqual({ status: 'completed', reason: 'callee_hangup' })
  })

  test('busy: the caller hears 486, the record says busy with the SIP cause', async () => {
    const c = inbound()
    c.invite.outcome.reject(new SipFailure(486, 'Busy Here'))
    await c.run
    expect(c.invite.rejected).toEqual([486])
    expect(c.report.end).toEqual({ status: 'busy', reason: 'callee_busy (SIP 486 Busy Here)' })
    await c.session.done
  })

  test('the caller cancels while the callee rings: CANCEL goes to the callee, record canceled', async () => {
    const c = inbound()
    c.invite.progress!.onProvisional!(180)
    c.invite.callerCancels()
    await c.run
    expect(c.invite.cancels).toBe(1)
    expect(c.invite.rejected).toEqual([]) // the 487 to the caller is the B2BUA's own answer to the CANCEL
    expect(c.report.events).toEqual(['ringing', 'ended:canceled'])
    expect(c.report.end?.reason).toBe('caller_canceled (SIP 487 Request Terminated)')
  })

  test('RING_TIMEOUT_S: the unanswered callee is cancelled, the caller hears 480, record no_answer', async () => {
    const c = inbound({ ringTimeoutMs: 30, maxCallMs: 60_000 })
    c.invite.progress!.onProvisional!(180)
    await c.run
    expect(c.invite.cancels).toBe(1)
    expect(c.invite.rejected).toEqual([480])
    expect(c.report.end).toEqual({ status: 'no_answer', reason: 'callee_ring_timeout (SIP 487 Request Terminated)' })
  })

  test('MAX_CALL_SECONDS: an answered call is cut, both legs hung up', async () => {
    const c = inbound({ ringTimeoutMs: 5000, maxCallMs: 30 })
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    await c.session.done
    expect(c.caller.hungUp).toBe(1)
    expect(c.callee.hungUp).toBe(1)
    expect(c.report.end).toEqual({ status: 'completed', reason: 'max_duration' })
  })

  test('a caller that cancelled during routing is never bridged', async () => {
    const report = new Report()
    const invite = new FakeInvite()
    const session = new CallSession('call_2', report, limits, log)
    await session.runInbound(invite, { uri: 'sip:x@t' }, '+1', { alreadyCanceled: true })
    expect(invite.bridgeCalls).toEqual([])
    expect(invite.rejected).toEqual([487])
    expect(report.end).toEqual({ status: 'canceled', reason: 'caller_canceled' })
  })

  test('re-INVITEs and UPDATEs pass through to the other leg by the same method; so do offer requests and INFO', async () => {
    const c = inbound()
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    expect(await c.caller.farReoffer('hold-offer')).toBe('answer-to(hold-offer)')
    expect(await c.callee.farReoffer('codec-offer', 'UPDATE')).toBe('answer-to(codec-offer)')
    expect(c.callee.reoffers).toEqual(['INVITE:hold-offer'])
    expect(c.caller.reoffers).toEqual(['UPDATE:codec-offer'])
    // A re-INVITE without SDP: the other leg is asked for an offer; the answer in the ACK goes back to it.
    const asked = await c.caller.farOfferRequest()
    expect(asked.offer).toBe('offer-of(callee)')
    asked.answer('caller-answer')
    expect(c.callee.answers).toEqual(['caller-answer'])
    expect(await c.caller.farInfo({ contentType: 'application/dtmf-relay', body: 'Signal=5' })).toBe(200)
    expect(c.callee.infos).toEqual([{ contentType: 'application/dtmf-relay', body: 'Signal=5' }])
    c.caller.bye()
    await c.session.done
  })

  test('a caller that hangs up without ever ACKing our 200 OK: failed, never answered', async () => {
    const c = inbound()
    c.caller.acked = false
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    c.caller.bye() // what drachtio reports when the ACK never came
    await c.session.done
    expect(c.callee.hungUp).toBe(1)
    expect(c.report.events).toEqual(['ended:failed'])
    expect(c.report.end).toEqual({ status: 'failed', reason: 'caller_no_ack' })
  })

  test('the ACK marks the call answered when it comes after the bridge', async () => {
    const c = inbound()
    c.caller.acked = false
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    expect(c.report.events).toEqual([])
    c.caller.ack()
    expect(c.report.events).toEqual(['answered'])
    c.caller.bye()
    await c.session.done
    expect(c.report.end).toEqual({ status: 'completed', reason: 'caller_hangup' })
  })

  test('shutdown with a callee that never answers our CANCEL is bounded: the caller gets 503, the record closes', async () => {
    const report = new Report()
    const invite = new FakeInvite()
    // This callee's INVITE never resolves, CANCEL or not.
    invite.bridge = async (_uri, _opts, progress) => {
      progress.onSent?.(() => undefined)
      return new Promise(() => undefined)
    }
    const session = new CallSession('call_stuck', report, limits, log)
    void session.runInbound(invite, { uri: 'sip:x@t' }, '+1')
    await tick()
    const t0 = performance.now()
    await session.shutdown(50)
    expect(performance.now() - t0).toBeLessThan(1000)
    await session.done
    expect(invite.rejected).toEqual([503])
    expect(report.end?.status).toBe('failed')
    expect(report.end?.reason).toStartWith('shutdown')
  })

  test('the post-dial hook fires once, when the outgoing INVITE is sent', async () => {
    const report = new Report()
    const invite = new FakeInvite()
    const session = new CallSession('call_3', report, limits, log)
    let sent = 0
    const run = session.runInbound(invite, { uri: 'sip:x@t' }, '+1', { onInviteSent: () => sent++ })
    expect(sent).toBe(1)
    invite.outcome.reject(new SipFailure(503, 'Service Unavailable'))
    await run
    expect(invite.rejected).toEqual([503])
    expect(report.end).toEqual({ status: 'failed', reason: 'callee_failed (SIP 503 Service Unavailable)' })
  })
})

function originate(l = limits) {
  const report = new Report()
  const dialer = new FakeDialer()
  const session = new CallSession('call_o', report, l, log)
  const run = session.runOriginate(dialer, { uri: 'sip:+1202555DRV@trunk' }, { uri: 'sip:+1202555CUS@trunk' }, '+12025550100')
  return { report, dialer, session, run }
}

describe('call session: originate (3PCC)', () => {
  test('caller without SDP, callee with the caller offer, caller ACKed with the callee answer', async () => {
    const o = originate()
    o.dialer.progressA!.onProvisional!(180)
    o.dialer.first.resolve('offerA')
    await tick()
    o.dialer.progressB!.onProvisional!(180) // the second ring is not a second event
    o.dialer.second.resolve('answerB')
    await o.run
    expect(o.dialer.wire).toEqual([
      'INVITE→sip:+1202555DRV@trunk from=+12025550100 sdp=none',
      '200←A offer=offerA',
      'INVITE→sip:+1202555CUS@trunk from=+12025550100 sdp=offerA',
      '200←B answer=answerB',
      'ACK→B',
      'ACK→A answer=answerB',
    ])
    expect(o.report.events).toEqual(['ringing', 'answered'])
    expect(o.session.state).toBe('answered')
    o.dialer.calleeLeg.bye()
    await o.session.done
    expect(o.dialer.callerLeg.hungUp).toBe(1)
    expect(o.report.end).toEqual({ status: 'completed', reason: 'callee_hangup' })
  })

  test('callee busy: the answered caller is released (ACK + BYE), record busy', async () => {
    const o = originate()
    o.dialer.first.resolve('offerA')
    await tick()
    o.dialer.second.reject(new SipFailure(486, 'Busy Here'))
    await o.run
    expect(o.dialer.wire.slice(-3)).toEqual(['INVITE→sip:+1202555CUS@trunk from=+12025550100 sdp=offerA', 'ACK→A', 'BYE→A'])
    expect(o.report.end).toEqual({ status: 'busy', reason: 'callee_busy (SIP 486 Busy Here)' })
  })

  test('caller does not answer in time: cancelled, nobody else is rung', async () => {
    const o = originate({ ringTimeoutMs: 30, maxCallMs: 60_000 })
    await o.run
    expect(o.dialer.wire).toEqual(['INVITE→sip:+1202555DRV@trunk from=+12025550100 sdp=none', 'CANCEL→A'])
    expect(o.report.end).toEqual({ status: 'no_answer', reason: 'caller_ring_timeout (SIP 487 Request Terminated)' })
  })

  test('caller rejects: failed with its cause, callee never rung', async () => {
    const o = originate()
    o.dialer.first.reject(new SipFailure(404, 'Not Found'))
    await o.run
    expect(o.dialer.wire).toHaveLength(1)
    expect(o.report.end).toEqual({ status: 'failed', reason: 'caller_failed (SIP 404 Not Found)' })
  })

  test('callee does not answer in time: CANCEL to the callee, caller released, no_answer', async () => {
    const o = originate({ ringTimeoutMs: 40, maxCallMs: 60_000 })
    o.dialer.first.resolve('offerA')
    await o.run
    expect(o.dialer.wire.slice(-3)).toEqual(['CANCEL→B', 'ACK→A', 'BYE→A'])
    expect(o.report.end?.status).toBe('no_answer')
    expect(o.report.end?.reason).toStartWith('callee_ring_timeout')
  })

  test('the ACK to the caller fails: the callee is hung up, record failed', async () => {
    const o = originate()
    o.dialer.ackFails = true
    o.dialer.first.resolve('offerA')
    await tick()
    o.dialer.second.resolve('answerB')
    await o.run
    expect(o.dialer.calleeLeg.hungUp).toBe(1)
    expect(o.report.end?.status).toBe('failed')
    expect(o.report.end?.reason).toStartWith('caller_ack_failed')
  })

  test('the caller hangs up after the bridge: the callee gets BYE', async () => {
    const o = originate()
    o.dialer.first.resolve('offerA')
    await tick()
    o.dialer.second.resolve('answerB')
    await o.run
    o.dialer.callerLeg.bye()
    await o.session.done
    expect(o.dialer.calleeLeg.hungUp).toBe(1)
    expect(o.report.end).toEqual({ status: 'completed', reason: 'caller_hangup' })
  })
})

describe('call registry drain', () => {
  test('waits for live calls up to the bound, then hangs up the rest', async () => {
    const registry = new CallRegistry()
    const a = inbound()
    const b = inbound()
    registry.add(a.session)
    registry.add(b.session)
    a.invite.outcome.resolve({ caller: a.caller, callee: a.callee })
    b.invite.outcome.resolve({ caller: b.caller, callee: b.callee })
    await Promise.all([a.run, b.run])
    setTimeout(() => a.caller.bye(), 10) // ends by itself during the drain
    const drained = await registry.drain(60)
    expect(drained).toEqual({ waitedFor: 2, cut: 1 })
    expect(registry.draining).toBe(true)
    expect(registry.size).toBe(0)
    expect(a.report.end?.reason).toBe('caller_hangup')
    expect(b.report.end).toEqual({ status: 'completed', reason: 'shutdown' })
    expect(b.caller.hungUp + b.callee.hungUp).toBe(2)
  })

  test('a ringing call is cancelled by a shutdown', async () => {
    const registry = new CallRegistry()
    const c = inbound()
    registry.add(c.session)
    await registry.drain(0)
    await c.run
    expect(c.invite.cancels).toBe(1)
    expect(c.invite.rejected).toEqual([503])
    expect(c.report.end?.status).toBe('failed')
    expect(c.report.end?.reason).toStartWith('shutdown')
  })
})

describe('failure classification', () => {
  test('SIP causes map to end states and what the caller hears', () => {
    expect(classifyFailure({ leg: 'callee', status: 486, reasonPhrase: 'Busy Here' })).toEqual({ status: 'busy', reason: 'callee_busy (SIP 486 Busy Here)', callerResponse: 486 })
    expect(classifyFailure({ leg: 'callee', status: 600 })).toMatchObject({ status: 'busy', callerResponse: 486 })
    expect(classifyFailure({ leg: 'caller', status: 603 })).toMatchObject({ status: 'busy', reason: 'caller_declined (SIP 603 Decline)' })
    expect(classifyFailure({ leg: 'callee', status: 480 })).toMatchObject({ status: 'no_answer', callerResponse: 480 })
    expect(classifyFailure({ leg: 'callee', status: 408 })).toMatchObject({ status: 'no_answer' })
    expect(classifyFailure({ leg: 'callee', status: 487, ringTimedOut: true })).toMatchObject({ status: 'no_answer', callerResponse: 480 })
    expect(classifyFailure({ leg: 'callee', status: 487, callerCanceled: true })).toEqual({ status: 'canceled', reason: 'caller_canceled (SIP 487 Request Terminated)' })
    expect(classifyFailure({ leg: 'callee', status: 404 })).toMatchObject({ status: 'failed', reason: 'callee_failed (SIP 404 Not Found)', callerResponse: 404 })
    expect(classifyFailure({ leg: 'callee' })).toMatchObject({ status: 'failed', callerResponse: 500 })
    expect(classifyFailure({ leg: 'callee', status: 487, shutdown: true })).toMatchObject({ status: 'failed', callerResponse: 503 })
    // A trunk challenge we cannot answer is our failure: the caller hears 503, never a bare 407.
    expect(classifyFailure({ leg: 'callee', status: 407 })).toEqual({ status: 'failed', reason: 'trunk_auth_failed (SIP 407 Proxy Authentication Required)', callerResponse: 503 })
    expect(classifyFailure({ leg: 'caller', status: 401 })).toMatchObject({ status: 'failed', callerResponse: 503 })
    // The far end's own reason text is not recorded.
    expect(classifyFailure({ leg: 'callee', status: 486, reasonPhrase: 'Busy at +14155550002 (Bob iPhone)' }).reason).toBe('callee_busy (SIP 486 Busy Here)')
  })
})

/** A scripted media plane: offers and answers come back tagged with who they are for. */
class FakeMedia implements CallMedia, MediaPlane {
  log: string[] = []
  ends = 0
  down = false
  failAnswer = false
  activity: number | 'gone' | undefined = Date.now()
  open() {
    if (this.down) throw new MediaUnavailable('every instance is down')
    return this
  }
  async offer(from: Side, sdp: string) {
    this.log.push(`offer ${from}: ${sdp}`)
    return `anchored(${sdp})`
  }
  async answer(from: Side, sdp: string) {
    this.log.push(`answer ${from}: ${sdp}`)
    if (this.failAnswer) throw new RtpengineUnavailable('rtpe', 'no reply')
    return `anchored(${sdp})`
  }
  lastSentTo(side: Side) {
    return `last-sent-to-${side}`
  }
  async lastActivity() {
    return this.activity
  }
  readonly mediaCallId = 'fake-media-call'
  /** Duration each prompt reports (ms). */
  promptMs = 50
  async play(to: Side, file: string) {
    this.log.push(`play ${to}: ${file}`)
    return this.promptMs
  }
  async stopPlay(to: Side) {
    this.log.push(`stop ${to}`)
  }
  async blockMedia(from: Side, on: boolean) {
    this.log.push(`${on ? 'block' : 'unblock'} media ${from}`)
  }
  async blockDtmf(from: Side, on: boolean) {
    this.log.push(`${on ? 'block' : 'unblock'} dtmf ${from}`)
  }
  recordFromNextOffer() {
    this.log.push('record from next offer')
  }
  async end() {
    this.ends++
    return { from_caller: { packets: 1, bytes: 172, packets_lost: null, loss: null, jitter_ms: null, mos: null }, from_callee: { packets: 2, bytes: 344, packets_lost: null, loss: null, jitter_ms: null, mos: null } }
  }
}

function anchoredInbound(media: FakeMedia, l: typeof limits & { mediaTimeoutMs?: number } = limits) {
  const report = new Report()
  const invite = new FakeInvite()
  const session = new CallSession(`call_${++seq}`, report, l, log, media)
  const wire: string[] = []
  const caller = new FakeLeg('caller', wire)
  const callee = new FakeLeg('callee', wire)
  const run = session.runInbound(invite, { uri: 'sip:+12025550111@trunk' }, '+12025550100')
  return { report, invite, session, caller, callee, run, wire }
}

describe('call session: media anchoring', () => {
  test("inbound: the callee is offered rtpengine's version of the caller's SDP, and the caller answered with rtpengine's version of the callee's", async () => {
    const m = new FakeMedia()
    const c = anchoredInbound(m)
    await tick()
    expect(c.invite.bridgeOpts?.sdp).toBe('anchored(caller-offer)')
    expect(await c.invite.bridgeOpts!.answer!('callee-answer')).toBe('anchored(callee-answer)')
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    expect(m.log).toEqual(['offer caller: caller-offer', 'answer callee: callee-answer'])
    c.caller.bye()
    await c.session.done
    expect(m.ends).toBe(1)
    expect(c.report.media).toMatchObject({ from_caller: { packets: 1 }, from_callee: { packets: 2 } })
  })

  test('no rtpengine available: the caller hears 503, nobody is rung, the record says media_unavailable', async () => {
    const m = new FakeMedia()
    m.down = true
    const c = anchoredInbound(m)
    await c.run
    await c.session.done
    expect(c.invite.rejected).toEqual([503])
    expect(c.invite.bridgeCalls).toEqual([])
    expect(c.report.end?.status).toBe('failed')
    expect(c.report.end?.reason).toMatch(/^media_unavailable/)
  })

  test("rtpengine fails on the callee's answer: the caller hears 503 (never bridged unanchored) and the media is deleted", async () => {
    const m = new FakeMedia()
    m.failAnswer = true
    const c = anchoredInbound(m)
    await tick()
    const answered = c.invite.bridgeOpts!.answer!('callee-answer').catch((e) => e)
    expect(await answered).toBeInstanceOf(Error)
    c.invite.outcome.reject(new Error('localSdpA failed'))
    await c.run
    await c.session.done
    expect(c.invite.rejected).toEqual([503])
    expect(c.report.end?.reason).toMatch(/^media_unavailable/)
    expect(m.ends).toBe(1)
  })

  test('re-offers (re-INVITE, UPDATE) from either side and offer requests go through rtpengine both ways', async () => {
    const m = new FakeMedia()
    const c = anchoredInbound(m)
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    m.log = []
    expect(await c.callee.farReoffer('hold')).toBe('anchored(answer-to(anchored(hold)))')
    expect(await c.caller.farReoffer('codec', 'UPDATE')).toBe('anchored(answer-to(anchored(codec)))')
    expect(c.caller.reoffers).toEqual(['INVITE:anchored(hold)'])
    expect(c.callee.reoffers).toEqual(['UPDATE:anchored(codec)'])
    expect(m.log).toEqual(['offer callee: hold', 'answer caller: answer-to(anchored(hold))', 'offer caller: codec', 'answer callee: answer-to(anchored(codec))'])
    // A re-INVITE without SDP from the caller: the callee is asked for an offer, which reaches the
    // caller through rtpengine; the caller's answer (its ACK) reaches the callee the same way.
    m.log = []
    const req = await c.caller.farOfferRequest()
    expect(req.offer).toBe('anchored(offer-of(callee))')
    req.answer('caller-ack-answer')
    await tick()
    expect(m.log).toEqual(['offer callee: offer-of(callee)', 'answer caller: caller-ack-answer'])
    expect(c.callee.answers).toEqual(['anchored(caller-ack-answer)'])
    c.callee.bye()
    await c.session.done
  })

  test('media stopped both ways for MEDIA_TIMEOUT_S: both legs hung up, end reason media_timeout', async () => {
    const m = new FakeMedia()
    m.activity = Date.now() - 60_000
    const c = anchoredInbound(m, { ...limits, mediaTimeoutMs: 300 })
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    await c.session.done
    expect(c.caller.hungUp).toBe(1)
    expect(c.callee.hungUp).toBe(1)
    expect(c.report.end).toEqual({ status: 'completed', reason: 'media_timeout' })
    expect(m.ends).toBe(1)
  })

  test('media still flowing: no timeout; rtpengine unreachable is not taken for stopped media', async () => {
    const m = new FakeMedia()
    const c = anchoredInbound(m, { ...limits, mediaTimeoutMs: 1000 })
    c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
    await c.run
    const keepAlive = setInterval(() => (m.activity = Date.now()), 20)
    await Bun.sleep(1300)
    clearInterval(keepAlive)
    m.activity = undefined
    await Bun.sleep(1300)
    expect(c.session.state).toBe('answered')
    m.activity = 'gone' // rtpengine dropped the call
    await c.session.done
    expect(c.report.end?.reason).toBe('media_timeout')
  })

  test('originate: caller offer → rtpengine → callee; callee answer → rtpengine → ACK to the caller', async () => {
    const m = new FakeMedia()
    const report = new Report()
    const dialer = new FakeDialer()
    const session = new CallSession('call_om', report, limits, log, m)
    const run = session.runOriginate(dialer, { uri: 'sip:A@trunk' }, { uri: 'sip:B@trunk' }, '+12025550100')
    dialer.first.resolve('offerA')
    await tick()
    dialer.second.resolve('answerB')
    await run
    expect(dialer.wire).toContain('INVITE→sip:B@trunk from=+12025550100 sdp=anchored(offerA)')
    expect(dialer.wire).toContain('ACK→A answer=anchored(answerB)')
    dialer.callerLeg.bye()
    await session.done
    expect(m.ends).toBe(1)
  })

  test('originate with no rtpengine: nobody is rung, the record says media_unavailable', async () => {
    const m = new FakeMedia()
    m.down = true
    const report = new Report()
    const dialer = new FakeDialer()
    const session = new CallSession('call_om2', report, limits, log, m)
    await session.runOriginate(dialer, { uri: 'sip:A@trunk' }, { uri: 'sip:B@trunk' }, '+12025550100')
    await session.done
    expect(dialer.wire).toEqual([])
    expect(report.end?.reason).toMatch(/^media_unavailable/)
  })

  test('every end path deletes the media once: busy, cancel, ring timeout, shutdown', async () => {
    for (const end of ['busy', 'cancel', 'timeout', 'shutdown'] as const) {
      const m = new FakeMedia()
      const c = anchoredInbound(m, end === 'timeout' ? { ringTimeoutMs: 30, maxCallMs: 60_000 } : limits)
      await tick()
      if (end === 'busy') c.invite.outcome.reject(new SipFailure(486, 'Busy Here'))
      if (end === 'cancel') c.invite.callerCancels()
      if (end === 'shutdown') {
        c.invite.outcome.resolve({ caller: c.caller, callee: c.callee })
        await c.run
        await c.session.shutdown()
      }
      await c.run
      await c.session.done
      expect({ end, ends: m.ends }).toEqual({ end, ends: 1 })
    }
  })
})

/** Digits the test types, as rtpengine's DTMF events would deliver them. */
class FakeDigits {
  private cb: ((digit: string, tag: string) => void) | undefined
  subscribedTo: string | undefined
  subscribe(id: string, cb: (digit: string, tag: string) => void) {
    this.subscribedTo = id
    this.cb = cb
    return () => (this.cb = undefined)
  }
  type(digits: string, tag = 'caller') {
    for (const d of digits) this.cb?.(d, tag)
  }
}

const prompt = (path: string) => ({ path, durationMs: 50 })

describe('call session: answered by us first (prompts, digits), then maybe the callee', () => {
  function answered(media: FakeMedia, l = limits) {
    const report = new Report()
    const invite = new FakeInvite()
    const dialer = new FakeDialer()
    const digits = new FakeDigits()
    const session = new CallSession(`call_${++seq}`, { ringing() {}, answered() {}, ended() {} }, l, log, media)
    return { report, invite, dialer, digits, session }
  }

  test('the caller is answered with rtpengine’s answer to a placeholder; a prompt plays; the call ends with the script’s reason on the record', async () => {
    const m = new FakeMedia()
    const c = answered(m)
    await c.session.runAnsweredInbound(c.invite, c.dialer, c.digits, async (ivr) => {
      await ivr.play(prompt('/p/session_ended.wav'))
      return { kind: 'end', reason: 'unmatched_no_session', report: c.report }
    })
    await c.session.done
    expect(m.log[0]).toBe('offer caller: caller-offer')
    expect(m.log[1]).toMatch(/^answer callee: v=0/) // the placeholder, under the callee's tag
    expect(c.invite.answeredWith).toEqual([`anchored(${m.log[1]!.slice('answer callee: '.length)})`])
    expect(m.log).toContain('block dtmf caller')
    expect(m.log).toContain('play caller: /p/session_ended.wav')
    expect(c.report.events).toEqual(['answered', 'ended:completed'])
    expect(c.report.end).toEqual({ status: 'completed', reason: 'unmatched_no_session' })
    expect(c.invite.callerLeg.hungUp).toBe(1) // we hung up
    expect(c.dialer.wire).toEqual([]) // nobody was rung
    expect(m.ends).toBe(1)
  })

  test('digits: only the caller’s, until #; then the callee gets the caller’s offer again and is bridged, digits unblocked', async () => {
    const m = new FakeMedia()
    const c = anchoredFlow(m)
    await tick()
    c.digits.type('99', 'callee') // not the caller's: ignored
    c.digits.type('12#')
    await c.collected
    expect(await c.collected).toBe('12')
    await tick()
    expect(c.dialer.wire[0]).toBe('INVITE→sip:+14155550002@trunk from=+12025550100 sdp=anchored(caller-offer)')
    c.dialer.second.resolve('callee-answer')
    await c.run
    expect(m.log.slice(-2)).toEqual(['answer callee: callee-answer', 'unblock dtmf caller'])
    expect(c.session.state).toBe('answered')
    expect(c.report.events).toEqual(['answered'])
    c.invite.callerLeg.bye()
    await c.session.done
    expect(c.dialer.calleeLeg.hungUp).toBe(1)
    expect(c.report.end).toEqual({ status: 'completed', reason: 'caller_hangup' })
  })

  test('the caller hangs up while the callee rings: the ring is cancelled, the record says caller_canceled', async () => {
    const m = new FakeMedia()
    const c = anchoredFlow(m)
    await tick()
    c.digits.type('#')
    await c.collected
    await tick()
    await tick()
    c.invite.callerLeg.bye()
    await c.run
    await c.session.done
    expect(c.dialer.wire).toContain('CANCEL→B')
    expect(c.report.end).toEqual({ status: 'canceled', reason: 'caller_canceled (SIP 487 Request Terminated)' })
  })

  test('the session’s limits apply from the bridge on: its shorter call time limit cuts the call', async () => {
    const m = new FakeMedia()
    const c = anchoredFlow(m, { maxCallMs: 30 })
    await tick()
    c.digits.type('#')
    await tick()
    await tick()
    c.dialer.second.resolve('callee-answer')
    await c.run
    await c.session.done
    expect(c.report.end).toEqual({ status: 'completed', reason: 'max_duration' })
  })

  test('a bridge that asks for recording: rtpengine is told before the offer to the callee, not before (the PIN is not recorded)', async () => {
    const m = new FakeMedia()
    const hooks = { noticeFile: '/p/notice.wav', started() {}, answered() {}, ended() {} }
    const c = anchoredFlow(m, {}, hooks)
    await tick()
    c.digits.type('12#')
    await c.collected
    await tick()
    await tick()
    c.dialer.second.resolve('callee-answer')
    await c.run
    const first = m.log.indexOf('offer caller: caller-offer')
    const record = m.log.indexOf('record from next offer')
    const second = m.log.lastIndexOf('offer caller: caller-offer')
    expect(first).toBeGreaterThanOrEqual(0)
    expect(second).toBeGreaterThan(first)
    expect(record).toBeGreaterThan(first)
    expect(record).toBeLessThan(second)
    c.invite.callerLeg.bye()
    await c.session.done
  })

  function anchoredFlow(media: FakeMedia, sessionLimits: { maxCallMs?: number } = {}, recording?: RecordingHooks) {
    const c = answered(media)
    let collected!: Promise<string>
    let got!: (s: string) => void
    collected = new Promise((r) => (got = r))
    const run = c.session.runAnsweredInbound(c.invite, c.dialer, c.digits, async (ivr) => {
      got(await ivr.collectDigits({ max: 8, firstDigitMs: 5000, interDigitMs: 5000 }))
      return { kind: 'bridge', target: { uri: 'sip:+14155550002@trunk' }, callingNumber: '+12025550100', report: c.report, limits: sessionLimits, recording }
    })
    return { ...c, run, collected }
  }
})
