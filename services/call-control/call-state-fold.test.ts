import { describe, expect, test } from 'bun:test'
import { toRecord } from './call-queries'
import { foldChanges, planInsert } from './call-state'

const t0 = new Date('2026-01-01T10:00:00.000Z')
const at = (s: number) => new Date(t0.getTime() + s * 1000)
const base = {
  id: 'call_x',
  tenantId: 'ten_x',
  sessionId: 'ses_x',
  direction: 'originate' as const,
  status: 'initiated' as const,
  fromParty: 'driver' as const,
  toParty: 'customer' as const,
  fromPhone: '+12025550111',
  toPhone: '+12025550122',
  maskedE164: '+12025550100',
  createdAt: t0,
}

describe('call record writes, planned', () => {
  test('a call without a callback URL owes no callbacks', () => {
    const { row, deliveries } = planInsert(base)
    expect(deliveries).toEqual([])
    expect(toRecord(row)).toMatchObject({ status: 'initiated', bill_id: null, ringing_at: null, duration_seconds: null, end_reason: null })
  })

  test('changes that arrive together fold into one write, each owed callback numbered in order', () => {
    const { row, deliveries: first } = planInsert({ ...base, stateCallback: 'https://hooks.example/x' })
    expect(first.map((d) => [d.sequence, d.event])).toEqual([[1, 'initiated']])
    const { after, steps, deliveries } = foldChanges(row, [
      { kind: 'ringing', at: at(1) },
      { kind: 'ringing', at: at(1.5) }, // repeated: ignored
      { kind: 'answered', at: at(2) },
      { kind: 'ended', status: 'completed', reason: 'caller_hangup', at: at(9) },
    ])
    expect(steps.map((s) => s.status)).toEqual(['ringing', 'answered', 'completed'])
    expect(deliveries.map((d) => [d.sequence, d.event])).toEqual([
      [2, 'ringing'],
      [3, 'answered'],
      [4, 'completed'],
    ])
    expect(after).toMatchObject({ status: 'completed', callbackSeq: 4, durationSeconds: 7, endReason: 'caller_hangup' })
    // Each body is the state at its own step, not the final one.
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ event: 'ringing', status: 'ringing', sequence: 2, duration_seconds: null, occurred_at: at(1).toISOString() })
    expect(JSON.parse(deliveries[2]!.body)).toMatchObject({ event: 'completed', status: 'completed', duration_seconds: 7, occurred_at: at(9).toISOString() })
  })

  test('only the selected events are owed; sequence counts what is sent', () => {
    const { row, deliveries } = planInsert({ ...base, stateCallback: 'https://hooks.example/x', stateCallbackEvents: ['completed'] })
    expect(deliveries).toEqual([])
    const r = foldChanges(row, [
      { kind: 'ringing', at: at(1) },
      { kind: 'ended', status: 'busy', reason: 'callee_busy', at: at(2) },
    ])
    expect(r.deliveries.map((d) => [d.sequence, d.event, JSON.parse(d.body).status])).toEqual([[1, 'completed', 'busy']])
  })

  test('nothing applies after the end', () => {
    const { row } = planInsert(base)
    const ended = foldChanges(row, [{ kind: 'ended', status: 'failed', reason: 'x', at: at(1) }]).after
    expect(foldChanges(ended, [{ kind: 'answered', at: at(2) }]).steps).toEqual([])
  })
})
