import { describe, expect, test } from 'bun:test'
import { AppError } from '../../shared/errors'
import { callbackEvents, checkStateCallback, resolveParties } from './originate'

const session = { driver_phone: '+12025550111', customer_phone: '+12025550122' }

describe('originate: who calls whom', () => {
  test('default: the driver calls the customer', () => {
    expect(resolveParties(session)).toEqual({ caller: { party: 'driver', phone: '+12025550111' }, callee: { party: 'customer', phone: '+12025550122' } })
  })

  test('by party name or by number; one side implies the other', () => {
    expect(resolveParties(session, 'customer').callee.party).toBe('driver')
    expect(resolveParties(session, null, 'driver').caller.party).toBe('customer')
    expect(resolveParties(session, '+12025550122', '+12025550111').caller).toEqual({ party: 'customer', phone: '+12025550122' })
    expect(resolveParties(session, 'driver', 'customer').callee.phone).toBe('+12025550122')
  })

  test('a number outside the session, or the same party twice, is a 422', () => {
    const err = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return e as AppError
      }
      throw new Error('no error')
    }
    expect(err(() => resolveParties(session, '+12025550199')).code).toBe('validation_error')
    expect(err(() => resolveParties(session, '+12025550199')).issues?.[0]?.loc).toEqual(['body', 'caller_id'])
    expect(err(() => resolveParties(session, 'driver', '+12025550111')).issues?.[0]?.loc).toEqual(['body', 'callee_id'])
    expect(err(() => resolveParties(session, 'dispatcher')).status).toBe(422)
  })

  test('callback events: a subset of the four, default all (null)', () => {
    expect(callbackEvents(undefined)).toBeNull()
    expect(callbackEvents(['answered', 'completed', 'answered'])).toEqual(['answered', 'completed'])
    expect(() => callbackEvents(['answered', 'hangup'])).toThrow(AppError)
  })

  test('callback URL: shape is a 422 validation error, a private target is callback_url_refused', async () => {
    expect(await checkStateCallback(null, { allowPrivate: false })).toBeNull()
    await expect(checkStateCallback('not a url', { allowPrivate: false })).rejects.toMatchObject({ code: 'validation_error' })
    await expect(checkStateCallback('http://127.0.0.1:9/cb', { allowPrivate: false })).rejects.toMatchObject({ code: 'callback_url_refused', status: 422 })
    expect(await checkStateCallback('http://127.0.0.1:9/cb', { allowPrivate: true })).toBe('http://127.0.0.1:9/cb')
    expect(await checkStateCallback('https://hooks.example/x', { allowPrivate: false, resolve: async () => ['93.184.216.34'] })).toBe('https://hooks.example/x')
  })
})
