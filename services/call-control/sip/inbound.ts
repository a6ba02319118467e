/**
 * An INVITE from the trunk to a masked number: check the source, read the numbers, ask
 * `sessions.route` whom to bridge to, and either refuse (403 / 404 / 503) or hand the call to a
 * call session. Nothing here lets a caller reach a number that is not the other party of the
 * session: the target comes only from the route decision.
 */
import type Srf from 'drachtio-srf'
import type { Bus } from '../../../shared/bus/bus'
import { sessions } from '../../../shared/contracts/sessions'
import { newId } from '../../../shared/ids'
import type { Logger } from '../../../shared/log'
import { CallRecorder, type RecorderDeps } from '../call-recorder'
import { classifyNumber } from '../../../shared/destination-policy'
import type { TenantCallLimits } from '../call-limits'
import { postDialDelay, sipCalls, sipCallsLimited } from '../metrics'
import { CallSession, type SessionLimits } from './call-session'
import type { CallRegistry } from './call-registry'
import { inboundInvite, unfoldHeaders, type TrunkAuth } from './drachtio-port'
import { isNationalForm, numberFromHeader } from './sip-number'
import { trunkUri, type Trunk } from './trunk'
import type { MediaPlane } from '../../../shared/media/call-media'
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
  callLimits: TenantCallLimits
  /** Digest credentials for the trunk, if it challenges. */
  auth?: TrunkAuth
  /** Says once that national-format numbers arrive while DEFAULT_REGION is unset. */
  warnNoRegion?: () => void
}

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
  if (decision.action === 'refuse') {
    sipCalls.inc({ direction: 'inbound', outcome: String(decision.sip_status) })
    deps.log.info({ sip_call_id: sipCallId, to: verdict.to, status: decision.sip_status, why: decision.reason }, 'inbound call refused')
    invite.reject(decision.sip_status)
    return
  }

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
  const recorder = CallRecorder.begin(deps.recorder, {
    id: callId,
    tenantId: decision.tenant_id,
    sessionId: decision.session_id,
    orderId: decision.order_id,
    direction: 'inbound',
    status: 'initiated',
    fromParty: decision.from_party,
    toParty: decision.to_party,
    fromPhone: verdict.from,
    toPhone: decision.target,
    maskedE164: decision.caller_id,
    sipCallId,
  })
  const session = new CallSession(callId, recorder, deps.limits, deps.log, deps.media)
  deps.registry.add(session, () => recorder.flushed())
  void session.done.finally(slot.release)
  await session.runInbound(invite, { uri: trunkUri(deps.trunk, decision.target), maxForwards: verdict.maxForwards }, decision.caller_id, {
    alreadyCanceled: invite.canceled,
    onInviteSent: () => postDialDelay.observe({ direction: 'inbound' }, (performance.now() - received) / 1000),
  })
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
