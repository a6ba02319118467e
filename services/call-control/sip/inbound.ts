/**
 * An INVITE from the trunk to a masked number: check the source, read the numbers, ask
 * `sessions.route` whom to bridge to, and either refuse (403 / 404 / 503) or hand the call to a
 * call session. Nothing here lets a caller reach a number that is not the other party of the
 * session: the target comes only from the route decision.
 */
import type Srf from 'drachtio-srf'
import type { Bus } from '../../../shared/bus/bus'
import { sessions, type RouteDecision } from '../../../shared/contracts/sessions'
import { newId } from '../../../shared/ids'
import type { Logger } from '../../../shared/log'
import { CallRecorder, type RecorderDeps } from '../call-recorder'
import { classifyNumber } from '../../../shared/destination-policy'
import type { TenantCallLimits } from '../call-limits'
import { postDialDelay, sipCalls, sipCallsLimited } from '../metrics'
import { CallSession, type SessionLimits } from './call-session'
import type { CallRegistry } from './call-registry'
import { drachtioDialer, inboundInvite, unfoldHeaders, type TrunkAuth } from './drachtio-port'
import { admitOnce, bridgeAfterGreeting, DEFAULT_PIN_TIMING, limitsFor, pinScript, unmatchedScript, type Bridge, type BridgeDeps, type PinTiming } from './answered-calls'
import type { PlayablePrompt } from './call-session'
import type { DigitSource } from '../../../shared/media/dtmf-events'
import type { PromptStore } from '../prompts/prompt-store'
import { isNationalForm, numberFromHeader } from './sip-number'
import { trunkUri, type Trunk } from './trunk'
import type { MediaPlane } from '../../../shared/media/call-media'
import type { CallRecordings } from '../recordings/call-recording'
import type { TrustedSources } from './trusted-sources'

export interface InboundDeps {
  bus: Bus
  log: Logger
  registry: CallRegistry
  trusted: TrustedSources
  trunk: Trunk
  region?: string
  limits: SessionLimits
  recorder: RecorderDeps
  /** Where media is anchored (rtpengine). */
  media?: MediaPlane
  /** Recorded sessions' calls (absent: none are recorded). */
  recordings?: CallRecordings
  callLimits: TenantCallLimits
  /** Digest credentials for the trunk, if it challenges. */
  auth?: TrunkAuth
  /** Says once that national-format numbers arrive while DEFAULT_REGION is unset. */
  warnNoRegion?: () => void
  /** Prompts (built-in and tenants'); without them every unmatched caller gets the SIP refusal. */
  prompts?: PromptStore
  /** rtpengine's DTMF events (PIN entry). */
  digits?: DigitSource
  pinTiming?: PinTiming
}

/** The built-in stand-in when a tenant's prompt was deleted or cannot be read. */
const FALLBACK: Record<string, string> = { no_session: 'builtin:session_ended', unknown_caller: 'builtin:not_a_party', wrong_pin: 'builtin:wrong_pin' }
const UNMATCHED_REASON: Record<string, string> = { no_session: 'unmatched_no_session', unknown_caller: 'unmatched_not_a_party', wrong_pin: 'wrong_pin' }

export interface InviteHeaders {
  requestUri: string
  to?: string
  from?: string
  pAssertedIdentity?: string
}

/**
 * The dialled (masked) number and the caller's number, E.164. The dialled number is the
 * Request-URI's user part (To as fallback); the caller is the network-asserted identity when a
 * trusted trunk sends one, else From. A P-Asserted-Identity that is not a number is not replaced
 * by From (the caller writes From): `from` is then undefined and the call is refused.
 */
export function numbersOf(h: InviteHeaders, region?: string): { to?: string; from?: string } {
  return {
    to: numberFromHeader(h.requestUri, region) ?? numberFromHeader(h.to, region),
    from: h.pAssertedIdentity !== undefined ? numberFromHeader(h.pAssertedIdentity, region) : numberFromHeader(h.from, region),
  }
}

export type InboundVerdict =
  | { action: 'refuse'; status: 403 | 404 | 483 | 503; why: string }
  | { action: 'route'; to: string; from: string; maxForwards: number }

/** The checks before any lookup: draining, trusted source, hop count, readable numbers. */
export function screenInvite(opts: { draining: boolean; trusted: boolean; to?: string; from?: string; maxForwards?: string }): InboundVerdict {
  if (opts.draining) return { action: 'refuse', status: 503, why: 'draining' }
  if (!opts.trusted) return { action: 'refuse', status: 403, why: 'untrusted_source' }
  // RFC 3261 16.3: a request that arrives with Max-Forwards 0 goes no further (loops end here).
  const mf = opts.maxForwards === undefined || opts.maxForwards.trim() === '' ? 70 : Number(opts.maxForwards)
  if (!Number.isInteger(mf) || mf <= 0) return { action: 'refuse', status: 483, why: 'too_many_hops' }
  if (!opts.to) return { action: 'refuse', status: 404, why: 'unreadable_called_number' }
  if (!opts.from) return { action: 'refuse', status: 403, why: 'unreadable_caller' }
  return { action: 'route', to: opts.to, from: opts.from, maxForwards: Math.min(mf, 70) - 1 }
}

export async function handleInboundInvite(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps): Promise<void> {
  const received = performance.now()
  unfoldHeaders(req, res)
  const sipCallId = req.get('Call-ID')
  const pai = req.has('P-Asserted-Identity') ? req.get('P-Asserted-Identity') : undefined
  const callerHeader = pai ?? req.get('From')
  const { to, from } = numbersOf({ requestUri: req.uri, to: req.get('To'), from: req.get('From'), pAssertedIdentity: pai }, deps.region)
  const verdict = screenInvite({
    draining: deps.registry.draining,
    trusted: deps.trusted.includes(req.source_address),
    to,
    from,
    maxForwards: req.has('Max-Forwards') ? req.get('Max-Forwards') : undefined,
  })
  if (!deps.region && verdict.action === 'route' && (isNationalForm(req.uri) || isNationalForm(callerHeader))) deps.warnNoRegion?.()
  if (verdict.action === 'refuse') {
    sipCalls.inc({ direction: 'inbound', outcome: String(verdict.status) })
    // Strangers are counted, not logged one by one: a scanner must not be able to flood the log.
    const line = { sip_call_id: sipCallId, source: req.source_address, to, status: verdict.status, why: verdict.why }
    if (verdict.why === 'untrusted_source') deps.log.debug(line, 'inbound call refused')
    else deps.log.info(line, 'inbound call refused')
    res.send(verdict.status)
    return
  }

  const invite = inboundInvite(srf, req, res, deps.auth)
  let decision
  try {
    decision = await deps.bus.request(sessions.route, { to: verdict.to, from: verdict.from }, { requestId: sipCallId })
  } catch (err) {
    sipCalls.inc({ direction: 'inbound', outcome: '503' })
    deps.log.warn({ err, sip_call_id: sipCallId }, 'sessions.route failed; refusing the call with 503')
    invite.reject(503)
    return
  }
  const dialer = drachtioDialer(srf, deps.auth)
  const ctx = { srf, deps, received, sipCallId, caller: verdict.from, masked: verdict.to }
  if (decision.action === 'refuse') return refuse(ctx, invite, decision)
  if (decision.action === 'collect_pin') return collectPin(ctx, invite, dialer, decision)

  // Defence in depth: whatever sessions decided, a costly number type is never dialled.
  if (classifyNumber(decision.target).typeRefusal) {
    sipCalls.inc({ direction: 'inbound', outcome: '403' })
    deps.log.warn({ sip_call_id: sipCallId, session_id: decision.session_id, why: classifyNumber(decision.target).typeRefusal }, 'inbound call refused: the party fails the destination policy')
    invite.reject(403)
    return
  }
  const slot = deps.callLimits.admit(decision.tenant_id)
  if (!slot.ok) {
    sipCalls.inc({ direction: 'inbound', outcome: '486' })
    sipCallsLimited.inc({ direction: 'inbound', limit: slot.refusal })
    deps.log.info({ sip_call_id: sipCallId, tenant_id: decision.tenant_id, limit: slot.refusal }, 'inbound call refused: tenant call limit')
    invite.reject(486)
    return
  }

  sipCalls.inc({ direction: 'inbound', outcome: 'bridged' })
  const callId = newId('call')
  const recorder = beginRecord(ctx, callId, decision)
  const recording = decision.record ? deps.recordings?.forCall({ tenantId: decision.tenant_id, callId, sessionId: decision.session_id }) : undefined
  const session = new CallSession(callId, recorder, limitsFor(deps.limits, decision), deps.log, deps.media, recording ? { recording } : undefined)
  deps.registry.add(session, () => recorder.flushed())
  void session.done.finally(slot.release)
  const greeting = decision.greeting_prompt ? await resolvePrompt(ctx, decision.tenant_id, decision.greeting_prompt) : undefined
  if (greeting) {
    // The greeting plays to the caller before the other party is rung.
    await session.runAnsweredInbound(invite, dialer, deps.digits, (ivr) => bridgeAfterGreeting(ivr, decision, { ...bridgeDeps(ctx, () => recorder), greeting: async () => greeting }))
    return
  }
  await session.runInbound(invite, { uri: trunkUri(deps.trunk, decision.target), maxForwards: verdict.maxForwards }, decision.caller_id, {
    alreadyCanceled: invite.canceled,
    onInviteSent: () => postDialDelay.observe({ direction: 'inbound' }, (performance.now() - received) / 1000),
  })
}

interface CallContext {
  srf: Srf
  deps: InboundDeps
  received: number
  sipCallId: string
  caller: string
  masked: string
}

type Refusal = Extract<RouteDecision, { action: 'refuse' }>
type CollectPin = Extract<RouteDecision, { action: 'collect_pin' }>

/** The record of a call bridged to a session's party. */
function beginRecord(c: CallContext, callId: string, d: Bridge): CallRecorder {
  return CallRecorder.begin(c.deps.recorder, {
    id: callId,
    tenantId: d.tenant_id,
    sessionId: d.session_id,
    orderId: d.order_id,
    direction: 'inbound',
    status: 'initiated',
    fromParty: d.from_party,
    toParty: d.to_party,
    fromPhone: c.caller,
    toPhone: d.target,
    maskedE164: d.caller_id,
    sipCallId: c.sipCallId,
  })
}

/** The record of a call that matched no session; its end sends `call.unmatched` to `callbackUrl`. */
function beginUnmatchedRecord(c: CallContext, callId: string, tenantId: string, callbackUrl: string | null | undefined): CallRecorder {
  return CallRecorder.begin(c.deps.recorder, {
    id: callId,
    tenantId,
    sessionId: null,
    orderId: null,
    direction: 'inbound',
    status: 'initiated',
    fromParty: null,
    toParty: null,
    fromPhone: c.caller,
    toPhone: null,
    maskedE164: c.masked,
    sipCallId: c.sipCallId,
    stateCallback: callbackUrl ?? null,
  })
}

function bridgeDeps(c: CallContext, report: (d: Bridge) => CallRecorder): Omit<BridgeDeps, 'greeting'> & { greeting: BridgeDeps['greeting'] } {
  return {
    report,
    endpoint: (target) => ({ uri: trunkUri(c.deps.trunk, target) }),
    platformLimits: c.deps.limits,
    greeting: async (d) => (d.greeting_prompt ? resolvePrompt(c, d.tenant_id, d.greeting_prompt) : undefined),
  }
}

/** A prompt's file for a new call, or the built-in stand-in (or nothing) when it is gone. */
async function resolvePrompt(c: CallContext, tenantId: string, ref: string, fallback?: string): Promise<PlayablePrompt | undefined> {
  if (!c.deps.prompts) return undefined
  for (const r of fallback && fallback !== ref ? [ref, fallback] : [ref]) {
    try {
      return await c.deps.prompts.resolve(tenantId, r)
    } catch (err) {
      c.deps.log.warn({ err: (err as Error).message, sip_call_id: c.sipCallId, prompt: r }, 'prompt unavailable')
    }
  }
  return undefined
}

/** A caller who cannot be bridged: the tenant's prompt (answer, play, hang up) or the SIP refusal; recorded and reported when the tenant asked. */
async function refuse(c: CallContext, invite: ReturnType<typeof inboundInvite>, d: Refusal): Promise<void> {
  const { deps } = c
  const prompt = d.prompt && d.tenant_id && deps.media ? await resolvePrompt(c, d.tenant_id, d.prompt, FALLBACK[d.reason]) : undefined
  const reason = UNMATCHED_REASON[d.reason] ?? d.reason
  if (!prompt) {
    sipCalls.inc({ direction: 'inbound', outcome: String(d.sip_status) })
    deps.log.info({ sip_call_id: c.sipCallId, to: c.masked, status: d.sip_status, why: d.reason }, 'inbound call refused')
    invite.reject(d.sip_status)
    if (d.tenant_id && d.callback_url) beginUnmatchedRecord(c, newId('call'), d.tenant_id, d.callback_url).ended('failed', `${reason} (SIP ${d.sip_status})`)
    return
  }
  sipCalls.inc({ direction: 'inbound', outcome: 'prompt' })
  deps.log.info({ sip_call_id: c.sipCallId, to: c.masked, why: d.reason }, 'unmatched caller hears a prompt')
  const callId = newId('call')
  const record = beginUnmatchedRecord(c, callId, d.tenant_id!, d.callback_url)
  const session = new CallSession(callId, record, deps.limits, deps.log, deps.media)
  deps.registry.add(session, () => record.flushed())
  await session.runAnsweredInbound(invite, drachtioDialer(c.srf, c.deps.auth), deps.digits, (ivr) => unmatchedScript(ivr, prompt, reason, record))
}

/** A number carrying PIN sessions: the caller types a PIN, which names the session and who is calling. */
async function collectPin(c: CallContext, invite: ReturnType<typeof inboundInvite>, dialer: ReturnType<typeof drachtioDialer>, d: CollectPin): Promise<void> {
  const { deps } = c
  const [enterPin, wrongPin] = await Promise.all([resolvePrompt(c, d.tenant_id, 'builtin:enter_pin'), resolvePrompt(c, d.tenant_id, 'builtin:wrong_pin')])
  if (!deps.media || !deps.digits || !enterPin || !wrongPin) {
    // PIN entry needs the media plane (prompts and RFC 4733 digits): without it the number is unavailable.
    sipCalls.inc({ direction: 'inbound', outcome: '480' })
    deps.log.warn({ sip_call_id: c.sipCallId, to: c.masked, status: 480, why: 'pin_needs_media' }, 'inbound call refused')
    invite.reject(480)
    return
  }
  sipCalls.inc({ direction: 'inbound', outcome: 'pin' })
  const callId = newId('call')
  let record: CallRecorder | undefined
  const session = new CallSession(callId, { ringing() {}, answered() {}, ended() {} }, deps.limits, deps.log, deps.media)
  deps.registry.add(session, () => record?.flushed() ?? Promise.resolve())
  const admit = admitOnce(deps.callLimits, session.done)
  await session.runAnsweredInbound(invite, dialer, deps.digits, (ivr) =>
    pinScript(ivr, {
      ...bridgeDeps(c, (b) => (record = beginRecord(c, callId, b))),
      // The tenant's limits apply once the PIN names the session, as to a direct call (which gets 486 instead: it is not answered yet).
      admit: (tenantId) => {
        const refusal = admit(tenantId)
        if (refusal) {
          sipCallsLimited.inc({ direction: 'inbound', limit: refusal })
          deps.log.info({ sip_call_id: c.sipCallId, tenant_id: tenantId, limit: refusal }, 'PIN call ended: tenant call limit')
        }
        return refusal
      },
      recording: (b) => deps.recordings?.forCall({ tenantId: b.tenant_id, callId, sessionId: b.session_id }),
      enterPin,
      wrongPin,
      // The PIN travels to sessions only; it is never logged here or there.
      routePin: (pin) => deps.bus.request(sessions.routePin, { to: c.masked, from: c.caller, pin }, { requestId: c.sipCallId }),
      unmatchedReport: () => (record = beginUnmatchedRecord(c, callId, d.tenant_id, d.callback_url)),
      timing: deps.pinTiming ?? DEFAULT_PIN_TIMING,
      maxDigits: d.max_digits,
    }),
  )
}

/** A warning said once per process: national-format numbers arrive and DEFAULT_REGION is unset. */
export function regionWarning(log: Logger): () => void {
  let said = false
  return () => {
    if (said) return
    said = true
    // Without a region such a number is read as international: a US 10-digit number becomes Egyptian.
    log.warn('national-format numbers arrive in SIP and DEFAULT_REGION is unset: they are read as international numbers; set DEFAULT_REGION (e.g. US)')
  }
}
