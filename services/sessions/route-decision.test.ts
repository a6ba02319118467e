import { describe, expect, test } from 'bun:test'
import { decideRoute, isLive, type RouteSession } from './route-decision'

const M = '+12025550100'
const DRIVER = '+14155550001'
const CUSTOMER = '+14155550002'
const now = new Date('2026-01-01T12:00:00Z')
const later = new Date(now.getTime() + 60_000)

const session = (over: Partial<RouteSession> = {}): RouteSession => ({
  id: 'ses_01',
  tenantId: 'ten_a',
  orderId: 'order-1',
  driverPhone: DRIVER,
  customerPhone: CUSTOMER,
  maskedE164: M,
  status: 'open',
  expiresAt: later,
  ...over,
})
const held = { tenant_id: 'ten_a', status: 'active' as const }

describe('decideRoute', () => {
  test('driver calls: bridge to the customer, showing the masked number', () => {
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [session()], now })).toEqual({
      action: 'bridge',
      tenant_id: 'ten_a',
      session_id: 'ses_01',
      order_id: 'order-1',
      target: CUSTOMER,
      caller_id: M,
      from_party: 'driver',
      to_party: 'customer',
    })
  })

  test('customer calls: bridge to the driver', () => {
    const d = decideRoute({ to: M, from: CUSTOMER, number: held, sessions: [session()], now })
    expect(d).toMatchObject({ action: 'bridge', target: DRIVER, caller_id: M, from_party: 'customer', to_party: 'driver' })
  })

  test('a caller who is neither party: 403 unknown_caller', () => {
    expect(decideRoute({ to: M, from: '+14155550099', number: held, sessions: [session()], now })).toEqual({ action: 'refuse', reason: 'unknown_caller', sip_status: 403 })
  })

  test('no open session on the number: 404 no_session', () => {
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [], now })).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
    const ended = session({ status: 'completed' })
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [ended], now })).toMatchObject({ reason: 'no_session' })
  })

  test('a suspended number: 403 number_suspended, even with a live session', () => {
    expect(decideRoute({ to: M, from: DRIVER, number: { tenant_id: 'ten_a', status: 'suspended' }, sessions: [session()], now })).toEqual({
      action: 'refuse',
      reason: 'number_suspended',
      sip_status: 403,
    })
  })

  test('a number nobody holds (or not in the pool): 404 number_not_assigned', () => {
    expect(decideRoute({ to: M, from: DRIVER, number: null, sessions: [session()], now })).toEqual({ action: 'refuse', reason: 'number_not_assigned', sip_status: 404 })
  })

  test('an expired session is refused from the very instant of its expiry, swept or not', () => {
    const s = session({ expiresAt: now })
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [s], now })).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })
    const oneMsBefore = new Date(now.getTime() - 1)
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [s], now: oneMsBefore })).toMatchObject({ action: 'bridge' })
  })

  test("another tenant's leftover session on the number never routes", () => {
    const stale = session({ tenantId: 'ten_old' })
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [stale], now })).toMatchObject({ reason: 'no_session' })
  })

  test('shared number: the caller picks out their own session among several', () => {
    const other = session({ id: 'ses_02', driverPhone: '+14155550011', customerPhone: '+14155550012' })
    const d = decideRoute({ to: M, from: '+14155550012', number: held, sessions: [session(), other], now })
    expect(d).toMatchObject({ action: 'bridge', session_id: 'ses_02', target: '+14155550011' })
    // a live session exists, but not the caller's: unknown caller, not "no session"
    const onlyOther = decideRoute({ to: M, from: DRIVER, number: held, sessions: [other], now })
    expect(onlyOther).toMatchObject({ reason: 'unknown_caller' })
  })

  test('sessions on another number are ignored', () => {
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [session({ maskedE164: '+12025550101' })], now })).toMatchObject({ reason: 'no_session' })
  })

  test('isLive is strict at expires_at', () => {
    expect(isLive({ status: 'open', expiresAt: later }, now)).toBe(true)
    expect(isLive({ status: 'open', expiresAt: now }, now)).toBe(false)
    expect(isLive({ status: 'expired', expiresAt: later }, now)).toBe(false)
  })
})

describe('decideRoute: PIN sessions and limits', () => {
  test('a number with a live PIN session asks every caller for a PIN, a party’s own phone included', () => {
    const pin = session({ pinRequired: true })
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [pin], now })).toEqual({ action: 'collect_pin', tenant_id: 'ten_a', max_digits: 8 })
    expect(decideRoute({ to: M, from: '+14155550099', number: held, sessions: [pin], now })).toMatchObject({ action: 'collect_pin' })
    // Lapsed PIN sessions ask nothing.
    expect(decideRoute({ to: M, from: DRIVER, number: held, sessions: [session({ pinRequired: true, expiresAt: now })], now })).toMatchObject({ reason: 'no_session' })
  })

  test('a caller-id bridge carries the limits the session sets, and only those', () => {
    const d = decideRoute({ to: M, from: CUSTOMER, number: held, sessions: [session({ callTimeLimitSeconds: 90, ringTimeoutSeconds: null, greetingPrompt: 'builtin:connecting' })], now })
    expect(d).toMatchObject({ action: 'bridge', target: DRIVER, call_time_limit_seconds: 90, greeting_prompt: 'builtin:connecting' })
    expect(d).not.toHaveProperty('ring_timeout_seconds')
  })
})
