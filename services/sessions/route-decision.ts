/**
 * The routing rule for an inbound call to a masked number (DESIGN.md, call control): whom to
 * bridge the caller to, with the masked number as caller id, or why to refuse. Pure, so every
 * outcome is unit-tested; the handler only gathers the inputs.
 */
import type { RouteDecision, SessionStatus } from '../../shared/contracts/sessions'

/** Who holds the dialled number now (from did), or null when nobody does / it is not in the pool. */
export interface RouteNumber {
  tenant_id: string
  status: 'active' | 'suspended'
}

export interface RouteSession {
  id: string
  tenantId: string
  orderId: string | null
  driverPhone: string
  customerPhone: string
  maskedE164: string
  status: SessionStatus
  expiresAt: Date
  /** A PIN session is reached by its PINs, never by caller id. */
  pinRequired?: boolean
  callTimeLimitSeconds?: number | null
  ringTimeoutSeconds?: number | null
  greetingPrompt?: string | null
  record?: boolean
}

/** PIN digits end at `#`, at this many digits, or after a pause. */
export const MAX_PIN_DIGITS = 8

export interface RouteInput {
  /** The dialled masked number, E.164. */
  to: string
  /** The caller, E.164. */
  from: string
  number: RouteNumber | null
  /** Sessions on `to` that may matter: those the caller is a party of, and any other open one. */
  sessions: RouteSession[]
  now: Date
}

const refuse = (reason: Extract<RouteDecision, { action: 'refuse' }>['reason'], sip_status: 403 | 404): RouteDecision => ({ action: 'refuse', reason, sip_status })

/** Open for every purpose: not ended, and its expiry not reached (exactly at `expires_at` it is over). */
export function isLive(s: Pick<RouteSession, 'status' | 'expiresAt'>, now: Date): boolean {
  return s.status === 'open' && s.expiresAt.getTime() > now.getTime()
}

export function decideRoute({ to, from, number, sessions, now }: RouteInput): RouteDecision {
  if (!number) return refuse('number_not_assigned', 404)
  if (number.status === 'suspended') return refuse('number_suspended', 403)
  // Only the current holder's live sessions on this very number count.
  const live = sessions.filter((s) => s.maskedE164 === to && s.tenantId === number.tenant_id && isLive(s, now))
  if (live.length === 0) return refuse('no_session', 404)
  // The unique index on (number, party) leaves at most one; the newest wins if it ever did not.
  const mine = live.filter((s) => !s.pinRequired && (s.driverPhone === from || s.customerPhone === from)).sort((a, b) => (a.id < b.id ? 1 : -1))[0]
  if (!mine) {
    // A number carrying PIN sessions asks every caller for a PIN: the PIN, not the phone, names the session and the party.
    if (live.some((s) => s.pinRequired)) return { action: 'collect_pin', tenant_id: number.tenant_id, max_digits: MAX_PIN_DIGITS }
    return refuse('unknown_caller', 403)
  }
  return bridgeTo(mine, mine.driverPhone === from ? 'driver' : 'customer', to)
}

/** The bridge to the other party of `s`, `from` being the caller's party, with the session's limits. */
export function bridgeTo(s: RouteSession, from: 'driver' | 'customer', to: string): RouteDecision {
  const fromDriver = from === 'driver'
  const mine = s
  return {
    action: 'bridge',
    tenant_id: mine.tenantId,
    session_id: mine.id,
    order_id: mine.orderId,
    target: fromDriver ? mine.customerPhone : mine.driverPhone,
    caller_id: to,
    from_party: fromDriver ? 'driver' : 'customer',
    to_party: fromDriver ? 'customer' : 'driver',
    // Only the limits the session sets travel (null = the platform's own).
    ...(mine.callTimeLimitSeconds != null && { call_time_limit_seconds: mine.callTimeLimitSeconds }),
    ...(mine.ringTimeoutSeconds != null && { ring_timeout_seconds: mine.ringTimeoutSeconds }),
    ...(mine.greetingPrompt != null && { greeting_prompt: mine.greetingPrompt }),
    ...(mine.record && { record: true }),
  }
}
