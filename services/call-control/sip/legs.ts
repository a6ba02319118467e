/**
 * What a call session needs from SIP, as small interfaces: a leg it can hang up and hear hang up,
 * the inbound INVITE it answers or refuses, and a dialer for third-party call control. The
 * drachtio adapters implement them (drachtio-port.ts); the unit tests drive the session with
 * scripted ones, so the session's rules are tested without a SIP stack.
 */

/** A confirmed dialog with one party. */
export interface SipLeg {
  /** The dialog's SIP Call-ID. */
  readonly callId: string
  /** The far end hung up (BYE). Called at most once. */
  onHangup(cb: () => void): void
  /** The far end sent a new offer (re-INVITE or UPDATE); the handler returns the answer to send back. */
  onReoffer(cb: (sdp: string) => Promise<string>): void
  /**
   * The far end sent a re-INVITE without an offer: the handler gives the offer for our 200 OK,
   * and `answered` receives the far end's answer from its ACK.
   */
  onOfferRequest(cb: () => Promise<{ offer: string; answered(sdp: string): Promise<void> }>): void
  /** Sends a new offer to this party (relaying the other party's re-INVITE); resolves with its answer. */
  reoffer(sdp: string): Promise<string>
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
  bridge(
    uri: string,
    opts: { callingNumber: string; sdp?: string; answer?: (sdp: string) => Promise<string> },
    progress: Progress,
  ): Promise<{ caller: SipLeg; callee: SipLeg }>
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
