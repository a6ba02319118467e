import { describe, expect, test } from 'bun:test'
import { applyChange, callbackEventOf, durationSeconds, type CallTimes } from './call-state'

const t0 = new Date('2026-01-01T10:00:00.000Z')
const at = (s: number) => new Date(t0.getTime() + s * 1000)
const call = (over: Partial<CallTimes> = {}): CallTimes => ({ status: 'initiated', createdAt: t0, ringingAt: null, answeredAt: null, ...over })

describe('call record state rules', () => {
  test('initiated → ringing → answered → completed, with the duration from the answer', () => {
    expect(applyChange(call(), { kind: 'ringing', at: at(1) })).toEqual({ status: 'ringing', ringingAt: at(1) })
    expect(applyChange(call({ status: 'ringing', ringingAt: at(1) }), { kind: 'answered', at: at(3) })).toEqual({ status: 'answered', answeredAt: at(3) })
    expect(applyChange(call({ status: 'answered', ringingAt: at(1), answeredAt: at(3) }), { kind: 'ended', status: 'completed', reason: 'caller_hangup', at: at(65.4) })).toEqual({
      status: 'completed',
      endedAt: at(65.4),
      durationSeconds: 62,
      endReason: 'caller_hangup',
    })
  })

  test('answer without a ring first is fine (some trunks send no 180)', () => {
    expect(applyChange(call(), { kind: 'answered', at: at(2) })).toEqual({ status: 'answered', answeredAt: at(2) })
  })

  test('an unanswered call ends with its own status and duration 0', () => {
    expect(applyChange(call({ status: 'ringing' }), { kind: 'ended', status: 'busy', reason: 'callee_busy (SIP 486 Busy Here)', at: at(4) })).toEqual({
      status: 'busy',
      endedAt: at(4),
      durationSeconds: 0,
      endReason: 'callee_busy (SIP 486 Busy Here)',
    })
  })

  test('an answered call always ends completed, whatever the cause', () => {
    const p = applyChange(call({ status: 'answered', answeredAt: at(1) }), { kind: 'ended', status: 'failed', reason: 'shutdown', at: at(11) })
    expect(p?.status).toBe('completed')
    expect(p?.durationSeconds).toBe(10)
  })

  test('an unanswered call cannot be completed: it was canceled', () => {
    expect(applyChange(call(), { kind: 'ended', status: 'completed', reason: 'caller_hangup', at: at(1) })?.status).toBe('canceled')
  })

  test('late and repeated signals are ignored', () => {
    expect(applyChange(call({ status: 'ringing' }), { kind: 'ringing', at: at(2) })).toBeNull()
    expect(applyChange(call({ status: 'answered' }), { kind: 'ringing', at: at(2) })).toBeNull()
    expect(applyChange(call({ status: 'answered' }), { kind: 'answered', at: at(2) })).toBeNull()
    for (const s of ['completed', 'busy', 'no_answer', 'failed', 'canceled'] as const) {
      expect(applyChange(call({ status: s }), { kind: 'ended', status: 'failed', reason: 'x', at: at(2) })).toBeNull()
      expect(applyChange(call({ status: s }), { kind: 'answered', at: at(2) })).toBeNull()
    }
  })

  test('an end time before creation (clock skew) is clamped', () => {
    expect(applyChange(call(), { kind: 'ended', status: 'failed', reason: 'x', at: at(-5) })?.endedAt).toEqual(t0)
  })

  test('every end state reports the completed callback event', () => {
    expect(callbackEventOf('initiated')).toBe('initiated')
    expect(callbackEventOf('ringing')).toBe('ringing')
    expect(callbackEventOf('answered')).toBe('answered')
    for (const s of ['completed', 'busy', 'no_answer', 'failed', 'canceled'] as const) expect(callbackEventOf(s)).toBe('completed')
  })

  test('duration rounds to whole seconds and never goes negative', () => {
    expect(durationSeconds(at(0), at(0.4))).toBe(0)
    expect(durationSeconds(at(0), at(0.5))).toBe(1)
    expect(durationSeconds(at(5), at(1))).toBe(0)
  })
})
