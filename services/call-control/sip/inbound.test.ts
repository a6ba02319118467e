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
    expect(screenInvite({ draining: false, trusted: true, to: '+1', from: '+2' })).toEqual({ action: 'route', to: '+1', from: '+2' })
  })
})
