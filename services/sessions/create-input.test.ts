import { describe, expect, test } from 'bun:test'
import { AppError } from '../../shared/errors'
import { checkCreate } from './create-input'

const issuesOf = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).status).toBe(422)
    return (e as AppError).issues!.map((i) => i.loc.join('.'))
  }
  throw new Error('expected a 422')
}

describe('checkCreate', () => {
  test('accepts E.164, applies the TTL default, learns the customer country', () => {
    expect(checkCreate({ driver_phone: '+14155550001', customer_phone: '+4930123456000' })).toEqual({
      orderId: null,
      driver: '+14155550001',
      customer: '+4930123456000',
      customerCountry: 'DE',
      ttlMinutes: 60,
      masked: null,
      pinRequired: false,
      pinLength: null,
      callTimeLimitSeconds: null,
      ringTimeoutSeconds: null,
      greetingPrompt: null,
    })
    expect(checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: null, order_id: 'o', masked_e164: '+12025550100' })).toMatchObject({
      ttlMinutes: 60,
      orderId: 'o',
      masked: '+12025550100',
    })
  })

  test('national formats, spaces, junk and invalid numbers are 422 on their field', () => {
    expect(issuesOf(() => checkCreate({ driver_phone: '4155550001', customer_phone: '+1 415 555 0002' }))).toEqual(['body.driver_phone', 'body.customer_phone'])
    expect(issuesOf(() => checkCreate({ driver_phone: '+15555550100', customer_phone: '+14155550002', masked_e164: 'abc' }))).toEqual(['body.driver_phone', 'body.masked_e164'])
  })

  test('driver and customer must differ', () => {
    expect(issuesOf(() => checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550001' }))).toEqual(['body.customer_phone'])
  })

  test('TTL bounds 1..10080', () => {
    expect(checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 1 }).ttlMinutes).toBe(1)
    expect(checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 10080 }).ttlMinutes).toBe(10080)
    expect(issuesOf(() => checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 0 }))).toEqual(['body.ttl_minutes'])
    expect(issuesOf(() => checkCreate({ driver_phone: '+14155550001', customer_phone: '+14155550002', ttl_minutes: 10081 }))).toEqual(['body.ttl_minutes'])
  })
})
