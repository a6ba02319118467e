import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { calls } from '../../../shared/contracts/calls'
import type { Db } from '../../../shared/db/database'
import { AppError } from '../../../shared/errors'
import type { IdempotencyStore } from '../../../shared/idempotency'
import type { Logger } from '../../../shared/log'
import { VERSION } from '../../../shared/version'
import { CallRecorder, type RecorderDeps } from '../call-recorder'
import { getCall, listCalls } from '../call-queries'
import type { Resolver } from '../callbacks/ssrf-guard'
import type { TenantCallLimits } from '../call-limits'
import { postDialDelay, sipCalls, sipCallsLimited } from '../metrics'
import { checkOriginateDestinations, checkOriginateInput, originateReply, planOriginate } from '../originate'
import type { SipAgent } from '../sip/agent'
import type { MediaPlane } from '../../../shared/media/call-media'
import type { CallRecordings } from '../recordings/call-recording'
import type { CallRegistry } from '../sip/call-registry'
import { CallSession, type SessionLimits } from '../sip/call-session'
import { trunkUri, type Trunk } from '../sip/trunk'

export interface CallHandlerDeps {
  db: Db
  log: Logger
  idempotency: IdempotencyStore
  registry: CallRegistry
  recorder: RecorderDeps
  limits: SessionLimits
  callLimits: TenantCallLimits
  allowPrivateCallbacks: boolean
  /** Absent when SIP is off (no DRACHTIO_HOST). */
  sip?: { agent: SipAgent; trunk: Trunk; media?: MediaPlane; pool?: { ready: boolean }; recordings?: CallRecordings }
  resolve?: Resolver
}

/** Serves the calls subjects; returns how to stop taking originate requests (on drain, so other instances take them). */
export function serveCalls(bus: Bus, d: CallHandlerDeps): { stopOriginate(): Promise<void> } {
  bus.serve(calls.ping, async () => ({ service: 'call-control', version: VERSION }))
  bus.serve(calls.get, ({ call_id }, ctx) => getCall(d.db, requireTenant(ctx), call_id))
  bus.serve(calls.list, (q, ctx) => listCalls(d.db, requireTenant(ctx), q))

  const stopOriginate = bus.serve(calls.originate, (input, ctx) => {
    const tenantId = requireTenant(ctx)
    return d.idempotency.run({ tenantId, key: ctx.idempotencyKey, operation: calls.originate.subject, request: input }, async () => {
      const requested = performance.now()
      const checked = await checkOriginateInput(input, { allowPrivate: d.allowPrivateCallbacks, resolve: d.resolve })
      const sip = d.sip
      if (!sip) throw new AppError('sip_unavailable', 'calls cannot be placed: SIP is not configured on this platform (DRACHTIO_HOST)')
      if (!sip.agent.connected || d.registry.draining) throw new AppError('sip_unavailable', 'calls cannot be placed right now: no SIP server is connected; try again shortly')
      if (sip.pool && !sip.pool.ready) throw new AppError('media_unavailable', 'calls cannot be placed right now: no media server (rtpengine) answers; try again shortly')
      const plan = await planOriginate(bus, input, checked, ctx)
      await checkOriginateDestinations(bus, plan, ctx)
      const slot = d.callLimits.admit(plan.tenantId)
      if (!slot.ok) {
        sipCallsLimited.inc({ direction: 'originate', limit: slot.refusal })
        throw new AppError('call_limit_exceeded', `this tenant is at its limit of ${slot.refusal === 'concurrent_calls' ? 'concurrent calls' : 'calls per minute'}; try again later`, {
          extra: { limit: slot.refusal },
        })
      }
      let recorder: CallRecorder
      try {
        recorder = await CallRecorder.create(d.recorder, {
          id: plan.callId,
          tenantId: plan.tenantId,
          sessionId: plan.session.id,
          orderId: plan.session.order_id,
          direction: 'originate',
          status: 'initiated',
          fromParty: plan.caller.party,
          toParty: plan.callee.party,
          fromPhone: plan.caller.phone,
          toPhone: plan.callee.phone,
          maskedE164: plan.session.masked_e164,
          billId: plan.billId,
          stateCallback: plan.stateCallback,
          stateCallbackEvents: plan.stateCallbackEvents,
        })
      } catch (e) {
        slot.release()
        throw e
      }
      sipCalls.inc({ direction: 'originate', outcome: 'started' })
      const recording = plan.session.record ? sip.recordings?.forCall({ tenantId: plan.tenantId, callId: plan.callId, sessionId: plan.session.id }) : undefined
      const session = new CallSession(plan.callId, recorder, d.limits, d.log, sip.media, recording ? { recording } : undefined)
      d.registry.add(session, () => recorder.flushed())
      void session.done.finally(slot.release)
      // The call runs on its own; the reply goes out now.
      session
        .runOriginate(sip.agent.dialer, { uri: trunkUri(sip.trunk, plan.caller.phone) }, { uri: trunkUri(sip.trunk, plan.callee.phone) }, plan.session.masked_e164, {
          onInviteSent: () => postDialDelay.observe({ direction: 'originate' }, (performance.now() - requested) / 1000),
        })
        .catch((err) => d.log.error({ err, call_id: plan.callId }, 'originate failed unexpectedly'))
      return originateReply(recorder.record)
    })
  })
  return { stopOriginate }
}
