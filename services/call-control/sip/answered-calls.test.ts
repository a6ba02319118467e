import { describe, expect, test } from 'bun:test'
import type { RouteDecision } from '../../../shared/contracts/sessions'
import type { CallReport } from '../call-recorder'
import { limitsFor, pinScript, type Bridge, type PinDeps } from './answered-calls'
import type { Ivr, PlayablePrompt } from './call-session'

const nowhere: CallReport = { ringing() {}, answered() {}, ended() {} }
const bridge: Bridge = {
  action: 'bridge',
  tenant_id: 'ten_1',
  session_id: 'ses_1',
  order_id: null,
  target: '+14155550001',
  caller_id: '+12025550100',
  from_party: 'customer',
  to_party: 'driver',
  call_time_limit_seconds: 120,
}

/** An Ivr whose caller types the given inputs, one per collectDigits. */
function scriptedIvr(inputs: string[]) {
  const played: string[] = []
  const ivr: Ivr = {
    gone: false,
    async play(p: PlayablePrompt) {
      played.push(p.path)
    },
    async collectDigits() {
      return inputs.shift() ?? ''
    },
    clearDigits() {},
  }
  return { ivr, played }
}

function deps(valid: Record<string, RouteDecision>, over: Partial<PinDeps> = {}): PinDeps & { tried: string[] } {
  const tried: string[] = []
  return {
    tried,
    enterPin: { path: 'enter_pin', durationMs: 1 },
    wrongPin: { path: 'wrong_pin', durationMs: 1 },
    routePin: async (pin) => {
      tried.push(pin)
      return valid[pin] ?? { action: 'refuse', reason: 'wrong_pin', sip_status: 403 }
    },
    unmatchedReport: () => nowhere,
    report: () => nowhere,
    endpoint: (t) => ({ uri: `sip:${t}@trunk` }),
    platformLimits: { ringTimeoutMs: 60_000, maxCallMs: 3_600_000 },
    greeting: async () => undefined,
    timing: { attempts: 3, firstDigitMs: 1, interDigitMs: 1 },
    maxDigits: 8,
    ...over,
  }
}

describe('PIN entry', () => {
  test('a valid PIN bridges to its session’s other party, with the session’s limits', async () => {
    const { ivr, played } = scriptedIvr(['4821'])
    const out = await pinScript(ivr, deps({ '4821': bridge }))
    expect(out).toMatchObject({ kind: 'bridge', target: { uri: 'sip:+14155550001@trunk' }, callingNumber: '+12025550100', limits: { maxCallMs: 120_000, ringTimeoutMs: 60_000 } })
    expect(played).toEqual(['enter_pin'])
  })

  test('wrong twice, then right: asked three times, bridged', async () => {
    const { ivr, played } = scriptedIvr(['1', '22', '4821'])
    const d = deps({ '4821': bridge })
    expect((await pinScript(ivr, d)).kind).toBe('bridge')
    expect(d.tried).toEqual(['1', '22', '4821'])
    expect(played).toEqual(['enter_pin', 'enter_pin', 'enter_pin'])
  })

  test('three wrong PINs: the wrong-PIN prompt and the end (wrong_pin); a fourth is never asked', async () => {
    const { ivr, played } = scriptedIvr(['1', '2', '3', '4821'])
    const d = deps({ '4821': bridge })
    expect(await pinScript(ivr, d)).toMatchObject({ kind: 'end', reason: 'wrong_pin' })
    expect(d.tried).toEqual(['1', '2', '3'])
    expect(played).toEqual(['enter_pin', 'enter_pin', 'enter_pin', 'wrong_pin'])
  })

  test('nothing typed: the wrong-PIN prompt and the end (pin_timeout), without asking sessions', async () => {
    const { ivr, played } = scriptedIvr([''])
    const d = deps({})
    expect(await pinScript(ivr, d)).toMatchObject({ kind: 'end', reason: 'pin_timeout' })
    expect(d.tried).toEqual([])
    expect(played).toEqual(['enter_pin', 'wrong_pin'])
  })

  test('the session’s greeting plays after the PIN, before the callee is rung', async () => {
    const { ivr, played } = scriptedIvr(['4821'])
    await pinScript(ivr, deps({ '4821': { ...bridge, greeting_prompt: 'builtin:connecting' } }, { greeting: async () => ({ path: 'connecting', durationMs: 1 }) }))
    expect(played).toEqual(['enter_pin', 'connecting'])
  })
})

describe('session limits', () => {
  test('narrow the platform’s, never widen them', () => {
    const platform = { ringTimeoutMs: 60_000, maxCallMs: 3_600_000 }
    expect(limitsFor(platform, { call_time_limit_seconds: 600, ring_timeout_seconds: 20 })).toEqual({ ringTimeoutMs: 20_000, maxCallMs: 600_000 })
    expect(limitsFor(platform, { call_time_limit_seconds: 86_400, ring_timeout_seconds: 300 })).toEqual(platform)
    expect(limitsFor(platform, {})).toEqual(platform)
  })
})
