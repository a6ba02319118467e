/**
 * What a call session needs from SIP, as small interfaces: a leg it can hang up and hear hang up,
 * the inbound INVITE it answers or refuses, and a dialer for third-party call control. The
 * drachtio adapters implement them (drachtio-port.ts); the unit tests drive the session with
 * scripted ones, so the session's rules are tested without a SIP stack.
 */

/** How an SDP offer travels inside a dialog: in a re-INVITE or in an UPDATE (RFC 3311). */
export type OfferMethod = 'INVITE' | 'UPDATE'

/** An in-dialog INFO (DTMF relay and the like): its content type and body only, never other headers. */
export interface InfoBody {
  contentType?: string
  body: string
}

/** A confirmed dialog with one party. */
export interface SipLeg {
  /** The dialog's SIP Call-ID. */
  readonly callId: string
  /** False while the 200 OK to this party (inbound caller) still waits for its ACK. */
  readonly acked: boolean
  /** Called once the party ACKs our 200 OK (at once if it already has). */
  onAck(cb: () => void): void
  /**
   * The far end hung up (BYE), or the dialog died without an ACK. Called at most once, also when
   * that happened before the handler was attached (a BYE right behind the ACK). `lost`: the
   * dialog was dropped by drachtio-server after a stranger's BYE (refused, but unrecoverable).
   */
  onHangup(cb: (how?: 'lost') => void): void
  /** The far end sent a new offer (re-INVITE or UPDATE); the handler returns the answer to send back. */
  onReoffer(cb: (sdp: string, method: OfferMethod) => Promise<string>): void
  /** Sends a new offer to this party (relaying the other party's); resolves with its answer. */
  reoffer(sdp: string, method?: OfferMethod): Promise<string>
  /**
   * The far end sent a re-INVITE without SDP (it asks for an offer): the handler returns an offer
   * for our 200 OK and takes the answer that arrives in the far end's ACK.
   */
  onOfferRequest(cb: () => Promise<{ offer: string; answer(sdp: string): void }>): void
  /** Sends this party a re-INVITE without SDP; resolves with its offer and the means to ACK with an answer. */
  requestOffer(): Promise<{ offer: string; answer(sdp: string): void }>
  /** The far end sent INFO; the handler relays it and returns the status to answer with. */
  onInfo(cb: (info: InfoBody) => Promise<number>): void
  /** Sends INFO to this party; resolves with its final status. */
  info(info: InfoBody): Promise<number>
  /** Sends BYE unless the dialog is already gone. Never throws. */
  hangup(): Promise<void>
}

/** A final non-2xx answer to an INVITE we sent, or a failure to send it. */
export class SipFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`SIP ${status} ${reason}`)
    this.name = 'SipFailure'
  }

  static from(e: unknown): SipFailure {
    if (e instanceof SipFailure) return e
    const o = e as { status?: unknown; reason?: unknown; message?: unknown }
    if (typeof o?.status === 'number') return new SipFailure(o.status, typeof o.reason === 'string' ? o.reason : '')
    return new SipFailure(500, typeof o?.message === 'string' ? o.message : 'error')
  }
}

/** The callee answered, but the caller could no longer be answered (its CANCEL crossed the answer). */
export class CallerGone extends SipFailure {
  constructor() {
    super(487, 'Request Terminated')
    this.name = 'CallerGone'
  }
}

export interface Progress {
  /** The INVITE is on the wire; `cancel` sends CANCEL for it. */
  onSent?(cancel: () => void): void
  /** A provisional response (180 Ringing, 183 Session Progress, …). */
  onProvisional?(status: number): void
}

/** An INVITE that reached us (inbound call), seen by the session that handles it. */
export interface InboundInvite {
  readonly callId: string
  /** Final response to the caller, if none was sent yet. */
  reject(status: number, reason?: string): void
  /** The caller sent CANCEL before we answered. */
  onCallerCancel(cb: () => void): void
  /** The caller's offer (the INVITE's SDP body; empty when it sent none). */
  readonly sdp: string
  /**
   * Rings `uri` presenting `callingNumber` with `sdp` as the offer and, when it answers, answers
   * the caller with `answer(callee's SDP)` (back-to-back; 183 early media too). Rejects with a
   * SipFailure; the caller's final response is then ours to send.
   */
  /** Answers the caller ourselves (200 OK with `sdp`, before any callee exists); resolves with its leg once confirmed. */
  answer(sdp: string): Promise<SipLeg>
  bridge(
    uri: string,
    opts: { callingNumber: string; maxForwards?: number; sdp?: string; answer?: (sdp: string) => Promise<string> },
    progress: Progress,
  ): Promise<{ caller: SipLeg; callee: SipLeg }>
  /** Gives up on the call when the callee's leg cannot be ended (shutdown bound): answers the caller if it is still waiting. */
  abandon(status: number): void
}

/** Outgoing INVITEs for originate (third-party call control). */
export interface Dialer {
  /**
   * INVITE without SDP. The party's 200 OK carries its offer; we hold the ACK until `ack(answer)`
   * (or `abandon()`: ACK then BYE).
   */
  inviteWithoutOffer(
    uri: string,
    opts: { callingNumber: string },
    progress: Progress,
  ): Promise<{ offer: string; callId: string; ack(answer: string): Promise<SipLeg>; abandon(): Promise<void> }>
  /** INVITE with an offer; resolves with the answered leg and its answer SDP. */
  invite(uri: string, opts: { callingNumber: string; sdp: string }, progress: Progress): Promise<{ leg: SipLeg; answer: string }>
}
