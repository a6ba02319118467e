import { describe, expect, test } from 'bun:test'
import type { RouteDecision } from '../../../shared/contracts/sessions'
import type { CallReport } from '../call-recorder'
import { TenantCallLimits } from '../call-limits'
import type { RecordingHooks } from '../../../shared/media/call-media'
import { admitOnce, limitsFor, pinScript, type Bridge, type PinDeps } from './answered-calls'
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
    admit: () => undefined,
    recording: () => undefined,
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

describe('PIN calls and the tenant’s call limits', () => {
  const done = () => {
    let end!: () => void
    const p = new Promise<void>((r) => (end = r))
    return { p, end }
  }

  test('a valid PIN while its tenant is at its concurrent limit: the call ends (tenant_call_limit), nobody rung, nothing played after the prompt', async () => {
    const limits = new TenantCallLimits({ maxConcurrent: 1, perMinute: 0 })
    expect(limits.admit('ten_1').ok).toBe(true) // a direct masked call of the tenant is live
    const { ivr, played } = scriptedIvr(['4821'])
    const call = done()
    const out = await pinScript(ivr, deps({ '4821': { ...bridge, greeting_prompt: 'builtin:connecting' } }, { admit: admitOnce(limits, call.p), greeting: async () => ({ path: 'connecting', durationMs: 1 }) }))
    expect(out).toMatchObject({ kind: 'end', reason: 'tenant_call_limit (concurrent_calls)' })
    expect(played).toEqual(['enter_pin'])
    expect(limits.liveOf('ten_1')).toBe(1) // the refused call holds no slot
  })

  test('a bridged PIN call holds its tenant’s slot until it ends: a direct call meanwhile is refused, afterwards admitted', async () => {
    const limits = new TenantCallLimits({ maxConcurrent: 1, perMinute: 0 })
    const call = done()
    const out = await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': bridge }, { admit: admitOnce(limits, call.p) }))
    expect(out.kind).toBe('bridge')
    expect(limits.liveOf('ten_1')).toBe(1)
    expect(limits.admit('ten_1')).toEqual({ ok: false, refusal: 'concurrent_calls' })
    expect(limits.admit('ten_2').ok).toBe(true) // another tenant is not affected
    call.end()
    await call.p
    await Bun.sleep(0)
    expect(limits.liveOf('ten_1')).toBe(0)
    expect(limits.admit('ten_1').ok).toBe(true)
  })

  test('PIN calls count toward calls per minute like direct ones', async () => {
    let now = 1_000_000
    const limits = new TenantCallLimits({ maxConcurrent: 0, perMinute: 2 }, () => now)
    for (let i = 0; i < 2; i++) {
      const call = done()
      expect((await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': bridge }, { admit: admitOnce(limits, call.p) }))).kind).toBe('bridge')
      call.end()
    }
    const third = await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': bridge }, { admit: admitOnce(limits, done().p) }))
    expect(third).toMatchObject({ kind: 'end', reason: 'tenant_call_limit (calls_per_minute)' })
    expect(limits.admit('ten_1')).toEqual({ ok: false, refusal: 'calls_per_minute' })
    now += 61_000
    expect(limits.admit('ten_1').ok).toBe(true)
  })

  test('the limit is asked only once the PIN names the session: wrong PINs take no slot', async () => {
    const asked: string[] = []
    const out = await pinScript(scriptedIvr(['1', '2', '3']).ivr, deps({}, { admit: (t) => void asked.push(t) }))
    expect(out).toMatchObject({ kind: 'end', reason: 'wrong_pin' })
    expect(asked).toEqual([])
  })
})

describe('PIN calls to recorded sessions', () => {
  const hooks: RecordingHooks = { noticeFile: '/p/notice.wav', started() {}, answered() {}, ended() {} }

  test('record: true → the bridge carries the recording (started with the offer to the callee); record: false → none', async () => {
    const asked: string[] = []
    const recording = (d: Bridge) => (asked.push(d.session_id), hooks)
    const rec = await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': { ...bridge, record: true } }, { recording }))
    expect(rec).toMatchObject({ kind: 'bridge', recording: hooks })
    const plain = await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': { ...bridge, record: false } }, { recording }))
    expect(plain.kind).toBe('bridge')
    expect((plain as { recording?: unknown }).recording).toBeUndefined()
    expect(asked).toEqual(['ses_1'])
  })

  test('refused by a limit or a wrong PIN: nothing is recorded', async () => {
    const asked: string[] = []
    const recording = (d: Bridge) => (asked.push(d.session_id), hooks)
    await pinScript(scriptedIvr(['4821']).ivr, deps({ '4821': { ...bridge, record: true } }, { recording, admit: () => 'concurrent_calls' }))
    await pinScript(scriptedIvr(['1', '2', '3']).ivr, deps({}, { recording }))
    expect(asked).toEqual([])
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
