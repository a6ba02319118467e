import { describe, expect, test } from 'bun:test'
import type { RouteSession } from './route-decision'
import { RouteIndex } from './route-index'

const M = '+12025550100'
const D = '+14155550001'
const C = '+14155550002'
const NOW = new Date('2026-12-02T10:00:00Z')

function session(id: string, o: Partial<RouteSession> = {}): RouteSession {
  return { id, tenantId: 'ten_a', orderId: null, driverPhone: D, customerPhone: C, maskedE164: M, status: 'open', expiresAt: new Date(NOW.getTime() + 3_600_000), ...o }
}

describe('route index', () => {
  test('a put session routes both of its parties, nobody else', () => {
    const ix = new RouteIndex(60_000)
    const s = session('ses_1')
    ix.put(s)
    expect(ix.get(M, D, NOW)).toMatchObject(s)
    expect(ix.get(M, C, NOW)).toMatchObject(s)
    expect(ix.get(M, '+14155550999', NOW)).toBeUndefined()
    expect(ix.get('+12025550101', D, NOW)).toBeUndefined()
  })

  test('an ended session is dropped, and a late `created` of it does not bring it back', () => {
    const ix = new RouteIndex(60_000)
    const s = session('ses_1')
    ix.put(s)
    ix.drop(s)
    expect(ix.get(M, D, NOW)).toBeUndefined()
    ix.put(s) // its created event, overtaken by its end
    expect(ix.get(M, D, NOW)).toBeUndefined()
    expect(ix.get(M, C, NOW)).toBeUndefined()
  })

  test("an older session's end does not drop a newer session on the same number and caller", () => {
    const ix = new RouteIndex(60_000)
    const old = session('ses_1')
    const fresh = session('ses_2')
    ix.put(old)
    ix.put(fresh)
    ix.drop(old)
    expect(ix.get(M, D, NOW)).toMatchObject(fresh)
  })

  test('a database read that raced a change is not kept; one that did not is', () => {
    const ix = new RouteIndex(60_000)
    const s = session('ses_1')
    const before = ix.versionOf(M, D)
    ix.drop(s) // the session ended while the read was under way
    ix.fill(M, D, s, before)
    expect(ix.get(M, D, NOW)).toBeUndefined()
    ix.fill(M, D, session('ses_3'), ix.versionOf(M, D))
    expect(ix.get(M, D, NOW)?.id).toBe('ses_3')
  })

  test('expiry is checked at use: exactly at expires_at the session no longer routes', () => {
    const ix = new RouteIndex(60_000)
    const s = session('ses_1', { expiresAt: new Date(NOW.getTime() + 1000) })
    ix.put(s)
    expect(ix.get(M, D, new Date(NOW.getTime() + 999))).toMatchObject(s)
    expect(ix.get(M, D, new Date(NOW.getTime() + 1000))).toBeUndefined()
  })

  test('entries are trusted for the TTL only; TTL 0 keeps nothing', () => {
    let clock = 0
    const ix = new RouteIndex(5000, 100, () => clock)
    ix.put(session('ses_1'))
    clock = 5000
    expect(ix.get(M, D, NOW)?.id).toBe('ses_1')
    clock = 5001
    expect(ix.get(M, D, NOW)).toBeUndefined()
    const off = new RouteIndex(0)
    off.put(session('ses_1'))
    expect(off.get(M, D, NOW)).toBeUndefined()
    expect(off.size).toBe(0)
  })

  test('the size bound pushes out the oldest entries; clear forgets everything', () => {
    const ix = new RouteIndex(60_000, 4)
    for (let i = 0; i < 3; i++) ix.put(session(`ses_${i}`, { driverPhone: `+1415555100${i}`, customerPhone: `+1415555200${i}` }))
    expect(ix.size).toBe(4)
    expect(ix.get(M, '+14155551000', NOW)).toBeUndefined()
    expect(ix.get(M, '+14155551002', NOW)?.id).toBe('ses_2')
    ix.clear()
    expect(ix.get(M, '+14155551002', NOW)).toBeUndefined()
  })

  test('counts hits and misses', () => {
    const ix = new RouteIndex(60_000)
    ix.put(session('ses_1'))
    ix.get(M, D, NOW)
    ix.get(M, '+14155550999', NOW)
    expect([ix.hits, ix.misses]).toEqual([1, 1])
  })
})

describe('route index: PIN sessions', () => {
  test('a PIN session is never routed by a phone from memory', () => {
    const ix = new RouteIndex(60_000)
    ix.put(session('ses_pin', { pinRequired: true }))
    expect(ix.get(M, D, NOW)).toBeUndefined()
    expect(ix.size).toBe(0)
  })

  test('an entry keeps what routing needs of a session, not the whole row (memory per open session)', () => {
    const ix = new RouteIndex(60_000)
    const row = { ...session('ses_1', { callTimeLimitSeconds: 600 }), createdAt: NOW, ttlMinutes: 60, driverPin: null, customerPin: null, pinLength: null, endedAt: null, endReason: null, exclusive: true }
    ix.put(row)
    const kept = ix.get(M, D, NOW)!
    expect(kept).toMatchObject(session('ses_1', { callTimeLimitSeconds: 600 }))
    expect(Object.keys(kept).sort()).toEqual(
      ['callTimeLimitSeconds', 'customerPhone', 'driverPhone', 'expiresAt', 'greetingPrompt', 'id', 'maskedE164', 'orderId', 'pinRequired', 'record', 'ringTimeoutSeconds', 'status', 'tenantId'].sort(),
    )
    ix.fill(M, '+14155550003', row, ix.versionOf(M, '+14155550003'))
    expect(Object.keys(ix.get(M, '+14155550003', NOW)!)).not.toContain('createdAt')
  })
})
