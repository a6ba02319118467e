import { describe, expect, test } from 'bun:test'
import { numbersOf, screenInvite } from './inbound'

describe('inbound INVITE screening', () => {
  test('dialled number from the Request-URI, caller from P-Asserted-Identity then From', () => {
    expect(numbersOf({ requestUri: 'sip:+12025550100@10.0.0.1', from: '<sip:+12025550111@t>;tag=1' })).toEqual({ to: '+12025550100', from: '+12025550111' })
    expect(numbersOf({ requestUri: 'sip:+12025550100@10.0.0.1', from: '<sip:anonymous@t>;tag=1', pAssertedIdentity: '<tel:+12025550122>' })).toEqual({
      to: '+12025550100',
      from: '+12025550122',
    })
    // a Request-URI without a number (some proxies) falls back to To
    expect(numbersOf({ requestUri: 'sip:sbc.example', to: '<sip:2025550100@t>', from: 'sip:2025550111@t' }, 'US')).toEqual({ to: '+12025550100', from: '+12025550111' })
  })

  test('refusals before any lookup', () => {
    expect(screenInvite({ draining: true, trusted: true, to: '+1', from: '+2' })).toMatchObject({ action: 'refuse', status: 503 })
    expect(screenInvite({ draining: false, trusted: false, to: '+1', from: '+2' })).toMatchObject({ action: 'refuse', status: 403, why: 'untrusted_source' })
    expect(screenInvite({ draining: false, trusted: true, from: '+2' })).toMatchObject({ action: 'refuse', status: 404 })
    expect(screenInvite({ draining: false, trusted: true, to: '+1' })).toMatchObject({ action: 'refuse', status: 403, why: 'unreadable_caller' })
    expect(screenInvite({ draining: false, trusted: true, to: '+1', from: '+2' })).toEqual({ action: 'route', to: '+1', from: '+2', maxForwards: 69 })
  })

  test('Max-Forwards: decremented for the outgoing leg (capped at 70); 0 or garbage is 483', () => {
    const mf = (v?: string) => screenInvite({ draining: false, trusted: true, to: '+1', from: '+2', maxForwards: v })
    expect(mf('5')).toMatchObject({ action: 'route', maxForwards: 4 })
    expect(mf('1')).toMatchObject({ action: 'route', maxForwards: 0 })
    expect(mf('255')).toMatchObject({ action: 'route', maxForwards: 69 })
    expect(mf(undefined)).toMatchObject({ action: 'route', maxForwards: 69 })
    for (const v of ['0', '-1', 'x']) expect(mf(v)).toEqual({ action: 'refuse', status: 483, why: 'too_many_hops' })
  })

  test('a P-Asserted-Identity that is not a number does not fall back to the caller-written From', () => {
    expect(numbersOf({ requestUri: 'sip:+12025550100@t', from: '<sip:+12025550111@t>;tag=1', pAssertedIdentity: '<sip:anonymous@anonymous.invalid>' })).toEqual({ to: '+12025550100', from: undefined })
    expect(screenInvite({ draining: false, trusted: true, to: '+12025550100', from: undefined })).toMatchObject({ action: 'refuse', status: 403, why: 'unreadable_caller' })
  })
})

describe('DEFAULT_REGION warning', () => {
  test('national-format numbers are recognised; the warning is said once', async () => {
    const { isNationalForm } = await import('./sip-number')
    const { regionWarning } = await import('./inbound')
    const { createLogger } = await import('../../../shared/log')
    expect(isNationalForm('sip:2025550111@t')).toBe(true)
    expect(isNationalForm('"Bob" <sip:202-555-0111@t>;tag=1')).toBe(true)
    for (const h of ['sip:+12025550111@t', 'sip:0012025550111@t', 'tel:5550111;phone-context=+1202', 'sip:anonymous@t', undefined]) expect(isNationalForm(h)).toBe(false)
    const lines: string[] = []
    const warn = regionWarning(createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }))
    warn()
    warn()
    warn()
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn' })
    expect(lines[0]).toContain('DEFAULT_REGION')
  })
})
