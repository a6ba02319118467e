/**
 * `calls.call.originate`: check the request, find the session, write the record (and its
 * `initiated` callback) and start the call; the reply goes out at once with status `initiated`
 * while the call runs (third-party call control in sip/call-session.ts).
 */
import { requireTenant, type Bus, type BusContext } from '../../shared/bus/bus'
import { CALLBACK_EVENTS, type OriginateInput, type OriginateReply } from '../../shared/contracts/calls'
import { sessions, type Party, type Session } from '../../shared/contracts/sessions'
import { AppError, validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { REFUSAL_TEXT, type DestinationRefusal } from '../../shared/destination-policy'
import { parseE164 } from '../../shared/phone'
import { CallbackUrlError, checkCallbackTarget, parseCallbackUrl, type Resolver } from './callbacks/ssrf-guard'

export interface PartyPick {
  party: Party
  phone: string
}

/**
 * Who is rung first (caller) and second (callee). Each id is `driver`, `customer`, or one of the
 * session's two numbers; by default the driver calls the other party. Anything else, or both
 * naming the same party, is a 422.
 */
export function resolveParties(session: Pick<Session, 'driver_phone' | 'customer_phone'>, callerId?: string | null, calleeId?: string | null): { caller: PartyPick; callee: PartyPick } {
  const phones: Record<Party, string> = { driver: session.driver_phone, customer: session.customer_phone }
  const other = (p: Party): Party => (p === 'driver' ? 'customer' : 'driver')
  const pick = (id: string | null | undefined, field: string): Party | undefined => {
    if (id === undefined || id === null || id === '') return undefined
    const v = id.trim()
    if (v === 'driver' || v === 'customer') return v
    const e164 = parseE164(v)?.e164 ?? v
    if (e164 === session.driver_phone) return 'driver'
    if (e164 === session.customer_phone) return 'customer'
    throw validationError([{ loc: ['body', field], msg: "must be 'driver', 'customer', or one of the session's two numbers", type: 'value_error' }])
  }
  const c = pick(callerId, 'caller_id')
  const d = pick(calleeId, 'callee_id')
  const caller = c ?? (d ? other(d) : 'driver')
  const callee = d ?? other(caller)
  if (caller === callee) {
    throw validationError([{ loc: ['body', 'callee_id'], msg: 'caller and callee must be different parties', type: 'value_error' }])
  }
  return { caller: { party: caller, phone: phones[caller] }, callee: { party: callee, phone: phones[callee] } }
}

/** The events asked for: a subset of initiated, ringing, answered, completed (default all). */
export function callbackEvents(events: string[] | null | undefined): string[] | null {
  if (events === undefined || events === null) return null
  const bad = events.findIndex((e) => !(CALLBACK_EVENTS as readonly string[]).includes(e))
  if (bad >= 0) {
    throw validationError([{ loc: ['body', 'state_callback_events', bad], msg: `Input should be ${CALLBACK_EVENTS.map((e) => `'${e}'`).join(', ')}`, type: 'enum' }])
  }
  return [...new Set(events)]
}

/** Validates the callback URL (shape, then where it resolves). */
export async function checkStateCallback(url: string | null | undefined, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<string | null> {
  if (url === undefined || url === null || url === '') return null
  try {
    const parsed = parseCallbackUrl(url)
    await checkCallbackTarget(parsed, opts)
    return parsed.toString()
  } catch (e) {
    if (e instanceof CallbackUrlError && e.message.startsWith('state_callback must')) {
      throw validationError([{ loc: ['body', 'state_callback'], msg: e.message, type: 'url_parsing' }])
    }
    if (e instanceof CallbackUrlError) throw new AppError('callback_url_refused', e.message)
    throw e
  }
}

export interface OriginatePlan {
  callId: string
  tenantId: string
  session: Session
  caller: PartyPick
  callee: PartyPick
  billId: string | null
  stateCallback: string | null
  stateCallbackEvents: string[] | null
}

/** The request's own checks (422s), before any lookup. */
export async function checkOriginateInput(input: OriginateInput, opts: { allowPrivate: boolean; resolve?: Resolver }) {
  const stateCallbackEvents = callbackEvents(input.state_callback_events)
  const stateCallback = await checkStateCallback(input.state_callback, opts)
  return { stateCallback, stateCallbackEvents }
}

/** The session's checks (404 / 409 / 422), once the request itself is sound. */
export async function planOriginate(
  bus: Bus,
  input: OriginateInput,
  checked: { stateCallback: string | null; stateCallbackEvents: string[] | null },
  ctx: BusContext,
): Promise<OriginatePlan> {
  const tenantId = requireTenant(ctx)
  const { stateCallback, stateCallbackEvents } = checked
  const session = await bus.request(sessions.get, { session_ref: input.session_id }, { requestId: ctx.requestId, tenantId })
  // `session_ref` also matches an order id; originate takes a session id only.
  if (session.id !== input.session_id) throw new AppError('session_not_found', `session ${input.session_id} not found`)
  if (session.status !== 'open' || Date.parse(session.expires_at) <= Date.now()) {
    throw new AppError('session_not_open', `session ${session.id} is ${session.status === 'open' ? 'expired' : session.status}; calls need an open session`, {
      extra: { session_id: session.id },
    })
  }
  const { caller, callee } = resolveParties(session, input.caller_id, input.callee_id)
  return { callId: newId('call'), tenantId, session, caller, callee, billId: input.bill_id ?? null, stateCallback, stateCallbackEvents }
}

/**
 * The destination policy once more before anything is dialled (both parties are rung): asked of
 * sessions, which owns it; a refused party is a 422 `destination_not_allowed` naming it.
 */
export async function checkOriginateDestinations(bus: Bus, plan: OriginatePlan, ctx: BusContext): Promise<void> {
  const parties = [plan.caller, plan.callee]
  const { refused } = await bus.request(sessions.checkDestinations, { numbers: parties.map((p) => p.phone) }, { requestId: ctx.requestId, tenantId: plan.tenantId })
  const first = refused[0]
  if (!first) return
  const party = parties.find((p) => p.phone === first.e164)!.party
  const text = REFUSAL_TEXT[first.reason as DestinationRefusal] ?? 'this number may not be called'
  throw new AppError('destination_not_allowed', `${party}: ${text}`, { extra: { party, reason: first.reason } })
}

export function originateReply(record: OriginateReply | Omit<OriginateReply, 'call_id'>): OriginateReply {
  return { ...record, call_id: record.id }
}
