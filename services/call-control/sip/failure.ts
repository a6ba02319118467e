/**
 * What an unanswered or failed leg means for the call: its end status, the reason recorded with
 * the SIP cause, and (inbound) what the caller is told. A rule, not I/O, so it is unit-tested.
 */
import type { EndStatus } from '../call-state'

export interface FailureContext {
  /** Which leg failed: the party rung first (`caller`) or second (`callee`). */
  leg: 'caller' | 'callee'
  /** The SIP status of the failure (487 after a CANCEL), if any came back. */
  status?: number
  reasonPhrase?: string
  /** We cancelled because nobody answered within RING_TIMEOUT_S. */
  ringTimedOut?: boolean
  /** The caller cancelled (inbound) before the callee answered. */
  callerCanceled?: boolean
  /** This instance is shutting down and hung up the call. */
  shutdown?: boolean
}

export interface FailureOutcome {
  status: EndStatus
  /** `end_reason`: a reason code, then the SIP cause when there was one. */
  reason: string
  /** What an inbound caller gets as final response (none when they cancelled themselves). */
  callerResponse?: number
}

const PHRASES: Record<number, string> = {
  401: 'Unauthorized',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  600: 'Busy Everywhere',
  603: 'Decline',
}

/** ` (SIP 486 Busy Here)`: the status with its standard phrase; the far end's own text is never kept. */
export function sipCause(status: number | undefined, _phrase?: string): string {
  if (!status) return ''
  return ` (SIP ${status} ${PHRASES[status] ?? ''}`.trimEnd() + ')'
}

export function classifyFailure(f: FailureContext): FailureOutcome {
  const cause = sipCause(f.status, f.reasonPhrase)
  if (f.shutdown) return { status: 'failed', reason: `shutdown${cause}`, callerResponse: 503 }
  if (f.callerCanceled) return { status: 'canceled', reason: `caller_canceled${cause}` }
  if (f.ringTimedOut) return { status: 'no_answer', reason: `${f.leg}_ring_timeout${cause}`, callerResponse: 480 }
  const s = f.status ?? 500
  // The trunk challenged us and we had no (or wrong) credentials: our fault, not the callee's, and
  // a bare 401/407 relayed to the caller (without our challenge header) would make no sense to it.
  if (s === 401 || s === 407) return { status: 'failed', reason: `trunk_auth_failed${cause}`, callerResponse: 503 }
  if (s === 486 || s === 600) return { status: 'busy', reason: `${f.leg}_busy${cause}`, callerResponse: 486 }
  if (s === 603) return { status: 'busy', reason: `${f.leg}_declined${cause}`, callerResponse: 603 }
  if (s === 408 || s === 480) return { status: 'no_answer', reason: `${f.leg}_no_answer${cause}`, callerResponse: 480 }
  if (s === 487) return { status: 'canceled', reason: `${f.leg}_canceled${cause}`, callerResponse: 487 }
  // Anything else is a failure; the caller hears the far end's status if it is a final error one.
  return { status: 'failed', reason: `${f.leg}_failed${cause || ' (no SIP response)'}`, callerResponse: s >= 400 && s < 700 ? s : 500 }
}
