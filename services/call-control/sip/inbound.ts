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
import { postDialDelay, sipCalls } from '../metrics'
import { CallSession, type SessionLimits } from './call-session'
import type { CallRegistry } from './call-registry'
import { inboundInvite } from './drachtio-port'
import { numberFromHeader } from './sip-number'
import { trunkUri, type Trunk } from './trunk'
import type { MediaPlane } from '../media/call-media'
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
 * trusted trunk sends one, else From.
 */
export function numbersOf(h: InviteHeaders, region?: string): { to?: string; from?: string } {
  return {
    to: numberFromHeader(h.requestUri, region) ?? numberFromHeader(h.to, region),
    from: numberFromHeader(h.pAssertedIdentity, region) ?? numberFromHeader(h.from, region),
  }
}

export type InboundVerdict =
  | { action: 'refuse'; status: 403 | 404 | 503; why: string }
  | { action: 'route'; to: string; from: string }

/** The checks before any lookup: draining, trusted source, readable numbers. */
export function screenInvite(opts: { draining: boolean; trusted: boolean; to?: string; from?: string }): InboundVerdict {
  if (opts.draining) return { action: 'refuse', status: 503, why: 'draining' }
  if (!opts.trusted) return { action: 'refuse', status: 403, why: 'untrusted_source' }
  if (!opts.to) return { action: 'refuse', status: 404, why: 'unreadable_called_number' }
  if (!opts.from) return { action: 'refuse', status: 403, why: 'unreadable_caller' }
  return { action: 'route', to: opts.to, from: opts.from }
}

export async function handleInboundInvite(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, deps: InboundDeps): Promise<void> {
  const received = performance.now()
  const sipCallId = req.get('Call-ID')
  const { to, from } = numbersOf(
    { requestUri: req.uri, to: req.get('To'), from: req.get('From'), pAssertedIdentity: req.has('P-Asserted-Identity') ? req.get('P-Asserted-Identity') : undefined },
    deps.region,
  )
  const verdict = screenInvite({ draining: deps.registry.draining, trusted: deps.trusted.includes(req.source_address), to, from })
  if (verdict.action === 'refuse') {
    sipCalls.inc({ direction: 'inbound', outcome: String(verdict.status) })
    // Strangers are counted, not logged one by one: a scanner must not be able to flood the log.
    const line = { sip_call_id: sipCallId, source: req.source_address, to, status: verdict.status, why: verdict.why }
    if (verdict.why === 'untrusted_source') deps.log.debug(line, 'inbound call refused')
    else deps.log.info(line, 'inbound call refused')
    res.send(verdict.status)
    return
  }

  const invite = inboundInvite(srf, req, res)
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
  if (decision.action === 'collect_pin') {
    // PIN sessions need the media plane (prompt and RFC 4733 digits); without it the number is unavailable.
    sipCalls.inc({ direction: 'inbound', outcome: '480' })
    deps.log.info({ sip_call_id: sipCallId, to: verdict.to, status: 480, why: 'pin_needs_media' }, 'inbound call refused')
    invite.reject(480)
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
  const recording = decision.record ? deps.recordings?.forCall({ tenantId: decision.tenant_id, callId, sessionId: decision.session_id }) : undefined
  const session = new CallSession(callId, recorder, deps.limits, deps.log, deps.media, recording ? { recording } : undefined)
  deps.registry.add(session, () => recorder.flushed())
  await session.runInbound(invite, { uri: trunkUri(deps.trunk, decision.target) }, decision.caller_id, {
    alreadyCanceled: invite.canceled,
    onInviteSent: () => postDialDelay.observe({ direction: 'inbound' }, (performance.now() - received) / 1000),
  })
}
