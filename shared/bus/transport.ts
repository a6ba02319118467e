/**
 * The raw transport under the typed `Bus`: strings and headers on subjects. NATS in production,
 * an in-process broker for the all-in-one mode; both pass the same contract suite.
 */

export interface RawMessage {
  data: string
  headers: Record<string, string>
}

export type TransportFailure = 'no_responders' | 'timeout' | 'disconnected'

export class TransportError extends Error {
  constructor(readonly reason: TransportFailure, subject: string) {
    super(`${reason} on ${subject}`)
    this.name = 'TransportError'
  }
}

export interface Transport {
  readonly kind: 'nats' | 'in-process'
  /** Sends one request; resolves with the first reply or throws a `TransportError`. */
  request(subject: string, msg: RawMessage, timeoutMs: number): Promise<string>
  /** Answers requests on `subject`; members of one queue group share the load. Returns how to leave the group. */
  reply(subject: string, queue: string, handler: (msg: RawMessage) => Promise<string>): () => Promise<void>
  publish(subject: string, msg: RawMessage): void
  /** Receives events; with a queue, one member of the group gets each. */
  subscribe(subject: string, queue: string | undefined, handler: (msg: RawMessage) => void | Promise<void>): void
  isConnected(): boolean
  /** Called each time a lost connection is back: events published meanwhile were missed (read models resync). */
  onReconnect(cb: () => void): void
  /** Stops taking messages, lets in-flight handlers finish and reply, then closes. */
  drain(): Promise<void>
}
