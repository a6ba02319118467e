/**
 * One call's media on rtpengine: every offer and answer of either party goes through the
 * rtpengine instance the call was given at its start (it stays there), and what each party
 * receives is cleaned (sdp-cleaner.ts). rtpengine's call-id is `<instance id>~<call id>`, so a
 * restarted call-control instance can find and delete the calls it left behind (recoverMedia),
 * and the two parties are its tags `caller` and `callee`.
 *
 * Flags, and why:
 * - `ICE: remove`: ICE candidates name a party's own addresses;
 * - `generate RTCP: on`: rtpengine consumes each party's RTCP and sends its own, whose SDES CNAME
 *   is rtpengine's instance id; passed through, RTCP SDES carries the other party's CNAME (often
 *   its number). Shown with packets in tests/sip/media.test.ts;
 * - `replace: origin, session-connection`: rtpengine's address in o= and the session c=;
 * - `port latching`: a party keeps its rtpengine port across re-offers.
 */
import type { Logger } from '../log'
import { mediaRequests } from './metrics'
import { RtpengineError, RtpengineUnavailable, type CallStats, type OfferAnswerOptions } from './rtpengine-client'
import type { RtpengineInstance, RtpenginePool } from './rtpengine-pool'
import { SdpPresenter } from './sdp-cleaner'
import { summarize, type MediaSummary } from './media-stats'

export type Side = 'caller' | 'callee'
const other = (s: Side): Side => (s === 'caller' ? 'callee' : 'caller')

/** What a call session needs from the media plane (unit tests script it). */
export interface CallMedia {
  /** `from` makes an offer; resolves with the offer the other party is to receive. */
  offer(from: Side, sdp: string): Promise<string>
  /** `from` answers the other party's offer; resolves with the answer the offerer is to receive. */
  answer(from: Side, sdp: string): Promise<string>
  /** The SDP last sent to `side` (our offer in a 200 OK to a re-INVITE without one). */
  lastSentTo(side: Side): string | undefined
  /**
   * When media last moved (ms since the epoch, either direction, RTP or RTCP), or `gone` when
   * rtpengine no longer holds the call; undefined when rtpengine could not be asked.
   */
  lastActivity(): Promise<number | 'gone' | undefined>
  /** Deletes the call in rtpengine (once) and resolves with its statistics, if rtpengine gave any. */
  end(at?: Date): Promise<MediaSummary | undefined>
  /**
   * Records the call from the next offer on (`record call` in it), as a call opened with
   * `recording` does from its first: for a call answered by us before it knew it is recorded (PIN
   * entry). Once per call; ignored when the call is already recorded.
   */
  recordFromNextOffer(hooks: RecordingHooks): void
  /** Both parties are connected at `at` (a recorded call plays its notice to both now). */
  connected?(at: Date): Promise<void>
  /** rtpengine's call-id for this call (DTMF events name it). */
  readonly mediaCallId: string
  /** Plays a WAV to `to`; resolves with its duration in ms once rtpengine started it (the end is ours to time). */
  play(to: Side, file: string): Promise<number>
  /** Stops a prompt playing to `to` (nothing when none plays). */
  stopPlay(to: Side): Promise<void>
  /** Drops (or again forwards) the media `from` sends: the other party hears nothing of it meanwhile. */
  blockMedia(from: Side, on: boolean): Promise<void>
  /** Drops (or again forwards) the RFC 4733 digits `from` sends; they are still reported as DTMF events. */
  blockDtmf(from: Side, on: boolean): Promise<void>
}

/**
 * An answer for the callee side before any callee exists (a prompt or PIN entry first): rtpengine
 * answers the caller from its own port and sends nothing anywhere useful (the discard port on
 * loopback). The real callee's answer replaces it later under the same tag (port latching keeps
 * the caller's port, so the caller needs no re-INVITE).
 */
export const PLACEHOLDER_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n')

/** Opens a call's media on a healthy instance; throws MediaUnavailable when there is none. */
export interface MediaPlane {
  open(callId: string, opts?: OpenOptions): CallMedia | Promise<CallMedia>
}

/** What the media plane tells a recorded call's job (each at most once, in this order). */
export interface RecordingHooks {
  /** The WAV rtpengine plays to both parties once the call is answered. */
  readonly noticeFile: string
  /** The first offer, with `record call`, went to `rtpengine` (its call-id there: `mediaCallId`). */
  started(rtpengine: string, mediaCallId: string): void
  /** Answered at `at`; the notice started playing at `noticeAt` (null: rtpengine refused to play it). */
  answered(at: Date, noticeAt: Date | null): void
  /** The call is over (rtpengine has been told to delete it, which closes the pcap). */
  ended(at: Date): void
}

export interface OpenOptions {
  /** Record the call (rtpengine `pcap` method) and play the notice: the job's hooks. */
  recording?: RecordingHooks
}

const COMMON: Partial<OfferAnswerOptions> = {
  ICE: 'remove',
  'generate RTCP': 'on',
  replace: ['origin', 'session-connection'],
  flags: ['port latching'],
}

export function rtpengineCallId(instanceId: string, callId: string): string {
  return `${instanceId}~${callId}`
}

export class RtpengineMediaPlane implements MediaPlane {
  constructor(
    private readonly pool: RtpenginePool,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  async open(callId: string, opts: OpenOptions = {}): Promise<CallMedia> {
    const instance = await this.pool.pick()
    instance.calls++
    return new RtpengineCallMedia(this.pool, instance, rtpengineCallId(this.instanceId, callId), this.log, opts.recording)
  }
}

class RtpengineCallMedia implements CallMedia {
  private readonly shown: Record<Side, SdpPresenter> = { caller: new SdpPresenter(), callee: new SdpPresenter() }
  private ended: Promise<MediaSummary | undefined> | undefined
  /** Whether the first offer/answer completed (before it, a re-offer has no to-tag). */
  private established = false
  /** Whether rtpengine has heard of the call (an offer was sent). */
  private offered = false

  constructor(
    private readonly pool: RtpenginePool,
    private instance: RtpengineInstance,
    private readonly callId: string,
    private readonly log: Logger,
    private recording?: RecordingHooks,
  ) {
    this.recordNext = recording !== undefined
  }

  /** The next offer carries `record call` (the first one of a call opened recorded, or the one after recordFromNextOffer). */
  private recordNext: boolean

  recordFromNextOffer(hooks: RecordingHooks): void {
    if (this.recording) return
    this.recording = hooks
    this.recordNext = true
  }

  get mediaCallId(): string {
    return this.callId
  }

  async play(to: Side, file: string): Promise<number> {
    const r = await this.call('play media', () => this.instance.client.playMedia({ 'call-id': this.callId, 'from-tag': to, file }))
    return Number(r.duration ?? 0)
  }

  async stopPlay(to: Side): Promise<void> {
    await this.call('stop media', () => this.instance.client.stopMedia({ 'call-id': this.callId, 'from-tag': to })).catch(() => undefined)
  }

  async blockMedia(from: Side, on: boolean): Promise<void> {
    await this.call(on ? 'block media' : 'unblock media', () => this.instance.client.blockMedia({ 'call-id': this.callId, 'from-tag': from }, on))
  }

  async blockDtmf(from: Side, on: boolean): Promise<void> {
    await this.call(on ? 'block DTMF' : 'unblock DTMF', () => this.instance.client.blockDtmf({ 'call-id': this.callId, 'from-tag': from }, on))
  }

  async offer(from: Side, sdp: string): Promise<string> {
    const first = !this.offered
    this.offered = true
    // Recording starts in an offer (the first, or the one to a callee rung after PIN entry), so
    // rtpengine's metadata carries both SDPs; port latching keeps the ports the metadata names.
    const record = this.recordNext
    this.recordNext = false
    const tried = new Set<RtpengineInstance>()
    for (;;) {
      try {
        const r = await this.call('offer', () =>
          this.instance.client.offer({
            ...COMMON,
            'call-id': this.callId,
            'from-tag': from,
            ...(this.established ? { 'to-tag': other(from) } : {}),
            ...(record ? { 'record call': 'yes' } : {}),
            sdp,
          }),
        )
        // The job names the instance that took the offer: its worker converts what it wrote.
        if (record) this.recording!.started(this.instance.name, this.callId)
        return this.shown[other(from)].present(r.sdp)
      } catch (e) {
        // A call not anchored yet moves to another healthy instance when its first one does not
        // answer; once anchored, a call stays where it is.
        tried.add(this.instance)
        const next = first && e instanceof RtpengineUnavailable ? this.pool.healthy().find((i) => !tried.has(i)) : undefined
        if (!next) throw e
        this.log.warn({ from: this.instance.name, to: next.name, media_call_id: this.callId }, 'rtpengine did not answer; anchoring the new call elsewhere')
        this.instance.calls--
        this.instance = next
        next.calls++
      }
    }
  }

  async answer(from: Side, sdp: string): Promise<string> {
    const offerer = other(from)
    const r = await this.call('answer', () => this.instance.client.answer({ ...COMMON, 'call-id': this.callId, 'from-tag': offerer, 'to-tag': from, sdp }))
    this.established = true
    return this.shown[offerer].present(r.sdp)
  }

  lastSentTo(side: Side): string | undefined {
    return this.shown[side].last
  }

  async lastActivity(): Promise<number | 'gone' | undefined> {
    let q: CallStats
    try {
      q = await this.call('query', () => this.instance.client.query({ 'call-id': this.callId }))
    } catch (e) {
      if (e instanceof RtpengineError) return 'gone'
      return undefined
    }
    let last = 0
    for (const tag of Object.values(q.tags ?? {}))
      for (const m of tag.medias ?? []) for (const s of m.streams ?? []) last = Math.max(last, (s['last packet'] ?? 0) * 1000)
    return last
  }

  async connected(at: Date): Promise<void> {
    const rec = this.recording
    if (!rec) return
    const sides: Side[] = ['caller', 'callee']
    const unblock = () => Promise.all(sides.map((s) => this.blockMedia(s, false).catch(() => undefined)))
    try {
      // Neither party hears the other until the notice is over: both hear it before they talk.
      await Promise.all(sides.map((s) => this.blockMedia(s, true)))
      const [ms] = await Promise.all(sides.map((s) => this.play(s, rec.noticeFile)))
      rec.answered(at, new Date())
      setTimeout(() => void unblock(), ms ?? 0).unref?.()
    } catch (err) {
      // A call must not stay muted: media flows again, noticed or not.
      void unblock()
      this.log.warn({ err, media_call_id: this.callId }, 'could not play the recording notice')
      rec.answered(at, null)
    }
  }

  end(at = new Date()): Promise<MediaSummary | undefined> {
    this.ended ??= (async () => {
      this.instance.calls--
      if (!this.offered) return undefined
      try {
        // With a from-tag the reply carries the call's statistics.
        const stats = await this.call('delete', () => this.instance.client.delete({ 'call-id': this.callId, 'from-tag': 'caller' }))
        this.recording?.ended(at)
        return summarize(stats)
      } catch (err) {
        // An unknown call-id: rtpengine dropped it already (its own timeout); nothing is held.
        this.log[err instanceof RtpengineError ? 'debug' : 'warn']({ err, rtpengine: this.instance.name, media_call_id: this.callId }, 'rtpengine delete failed')
        this.recording?.ended(at)
        return undefined
      }
    })()
    return this.ended
  }

  private async call<T>(command: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const r = await run()
      mediaRequests.observe({ command, outcome: 'ok' }, (performance.now() - started) / 1000)
      this.pool.succeeded(this.instance)
      return r
    } catch (e) {
      mediaRequests.observe({ command, outcome: e instanceof RtpengineUnavailable ? 'timeout' : 'error' }, (performance.now() - started) / 1000)
      this.pool.failed(this.instance, e)
      throw e
    }
  }
}

/**
 * At start: calls rtpengine still holds for this call-control instance (its id before `~`) that
 * have no live call here are deleted, on every instance that answers. Returns how many.
 */
export async function recoverMedia(pool: RtpenginePool, instanceId: string, isLive: (callId: string) => boolean, log: Logger): Promise<number> {
  let deleted = 0
  const prefix = `${instanceId}~`
  for (const i of pool.instances) {
    if (!i.up) continue
    try {
      for (const id of await i.client.list()) {
        if (!id.startsWith(prefix) || isLive(id.slice(prefix.length))) continue
        await i.client.delete({ 'call-id': id }).catch(() => undefined)
        deleted++
      }
    } catch (err) {
      log.warn({ err, rtpengine: i.name }, 'could not list rtpengine calls for recovery')
    }
  }
  if (deleted) log.info({ deleted }, 'deleted media of calls this instance no longer runs')
  return deleted
}
