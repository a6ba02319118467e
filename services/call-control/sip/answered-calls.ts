/**
 * The calls the platform answers itself before (or instead of) ringing anyone, as scripts over
 * the call session's Ivr (call-session.ts): the prompt for a caller who cannot be bridged, PIN
 * entry for PIN sessions, and a session's greeting. Each decides from what the caller hears and
 * types whom to bridge to; the target still comes only from a route decision of sessions.
 */
import type { RouteDecision } from '../../../shared/contracts/sessions'
import type { RecordingHooks } from '../../../shared/media/call-media'
import type { CallReport } from '../call-recorder'
import type { LimitRefusal, TenantCallLimits } from '../call-limits'
import type { Ivr, IvrOutcome, PlayablePrompt, SessionLimits, Endpoint } from './call-session'

export type Bridge = Extract<RouteDecision, { action: 'bridge' }>

/** How many PINs a caller may try, and how long it may take to type one. */
export interface PinTiming {
  attempts: number
  firstDigitMs: number
  interDigitMs: number
}

export const DEFAULT_PIN_TIMING: PinTiming = { attempts: 3, firstDigitMs: 10_000, interDigitMs: 4_000 }

/** Platform limits narrowed by the session's own (never widened). */
export function limitsFor(platform: SessionLimits, d: Pick<Bridge, 'call_time_limit_seconds' | 'ring_timeout_seconds'>): SessionLimits {
  return {
    ...platform,
    maxCallMs: d.call_time_limit_seconds ? Math.min(platform.maxCallMs, d.call_time_limit_seconds * 1000) : platform.maxCallMs,
    ringTimeoutMs: d.ring_timeout_seconds ? Math.min(platform.ringTimeoutMs, d.ring_timeout_seconds * 1000) : platform.ringTimeoutMs,
  }
}

export interface BridgeDeps {
  /** The record of the bridged call (started when the callee is about to be rung). */
  report(d: Bridge): CallReport
  endpoint(target: string): Endpoint
  platformLimits: SessionLimits
  /** The session's greeting, resolved (undefined: none, or it can no longer be played). */
  greeting(d: Bridge): Promise<PlayablePrompt | undefined>
}

/** After a match: the greeting (if any) plays to the caller, then the other party is rung. */
export async function bridgeAfterGreeting(ivr: Ivr, d: Bridge, deps: BridgeDeps): Promise<IvrOutcome> {
  const greeting = await deps.greeting(d)
  if (greeting) await ivr.play(greeting)
  return { kind: 'bridge', target: deps.endpoint(d.target), callingNumber: d.caller_id, report: deps.report(d), limits: limitsFor(deps.platformLimits, d) }
}

/** A caller who cannot be bridged hears the tenant's prompt, then the call ends. */
export async function unmatchedScript(ivr: Ivr, prompt: PlayablePrompt, reason: string, report: CallReport): Promise<IvrOutcome> {
  await ivr.play(prompt)
  return { kind: 'end', reason, report }
}

/**
 * Per-tenant call limits for a call whose tenant is known only once it is answered (PIN entry):
 * takes the tenant's slot (held until `done`) or says which limit refuses the call.
 */
export function admitOnce(limits: TenantCallLimits, done: Promise<unknown>): (tenantId: string) => LimitRefusal | undefined {
  let taken = false
  return (tenantId) => {
    if (taken) throw new Error('a call takes one slot')
    const slot = limits.admit(tenantId)
    if (!slot.ok) return slot.refusal
    taken = true
    void done.finally(slot.release)
    return undefined
  }
}

export interface PinDeps extends BridgeDeps {
  /** The tenant's call limits, applied once the PIN names the session (undefined: admitted). */
  admit(tenantId: string): LimitRefusal | undefined
  /** The recording of a bridge to a session with `record: true` (undefined: not recorded). */
  recording(d: Bridge): RecordingHooks | undefined
  enterPin: PlayablePrompt
  wrongPin: PlayablePrompt
  /** sessions.route.pin: the session whose PIN this is, or a refusal. */
  routePin(pin: string): Promise<RouteDecision>
  /** The record of a call that typed no valid PIN. */
  unmatchedReport(): CallReport
  timing: PinTiming
  maxDigits: number
}

/**
 * PIN entry: "enter your PIN" (typing may start during it), digits until `#`, the PIN's length or
 * a pause; a valid PIN bridges to the other party of its session (the PIN says who calls). A wrong
 * one asks again, up to `attempts`; then, or when nothing is typed at all, the wrong-PIN prompt
 * plays and the call ends.
 */
export async function pinScript(ivr: Ivr, deps: PinDeps): Promise<IvrOutcome> {
  let reason = 'wrong_pin'
  for (let attempt = 1; attempt <= deps.timing.attempts && !ivr.gone; attempt++) {
    await ivr.play(deps.enterPin, { bargeIn: true })
    const pin = await ivr.collectDigits({ max: deps.maxDigits, firstDigitMs: deps.timing.firstDigitMs, interDigitMs: deps.timing.interDigitMs })
    if (ivr.gone) break
    if (!pin) {
      reason = 'pin_timeout'
      break
    }
    const d = await deps.routePin(pin)
    if (d.action === 'bridge') {
      // Counted like a direct call, now that the PIN names the tenant. Refused, the caller is hung up
      // (no prompt says "busy"); the platform answered, so the record is `completed` (the reason says why).
      const refusal = deps.admit(d.tenant_id)
      if (refusal) return { kind: 'end', reason: `tenant_call_limit (${refusal})`, report: deps.report(d) }
      const out = await bridgeAfterGreeting(ivr, d, deps)
      // Recording starts with the offer to the callee: the PIN the caller typed is never in it.
      const recording = d.record ? deps.recording(d) : undefined
      return out.kind === 'bridge' && recording ? { ...out, recording } : out
    }
    ivr.clearDigits()
  }
  await ivr.play(deps.wrongPin)
  return { kind: 'end', reason, report: deps.unmatchedReport() }
}
