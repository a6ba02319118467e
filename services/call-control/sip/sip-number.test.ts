import { describe, expect, test } from 'bun:test'
import { numberFromHeader, toE164, uriOf, userPartOf } from './sip-number'

describe('numbers in SIP and tel URIs → E.164', () => {
  test('international forms need no region', () => {
    expect(numberFromHeader('sip:+12025550123@trunk.example;user=phone')).toBe('+12025550123')
    expect(numberFromHeader('<sip:+447911123456@10.0.0.1:5060>;tag=abc')).toBe('+447911123456')
    expect(numberFromHeader('"Alice" <sip:+4915112345678@host>;tag=1')).toBe('+4915112345678')
    expect(numberFromHeader('sips:%2B12025550123@host')).toBe('+12025550123')
    expect(numberFromHeader('sip:12025550123@host')).toBe('+12025550123') // international without '+'
    expect(numberFromHeader('sip:447911123456@host')).toBe('+447911123456')
  })

  test('tel: URIs with visual separators and phone-context', () => {
    expect(numberFromHeader('tel:+1-202-555-0123')).toBe('+12025550123')
    expect(numberFromHeader('<tel:+44.7911.123456>')).toBe('+447911123456')
    expect(numberFromHeader('tel:5550123;phone-context=+1202')).toBe('+12025550123')
  })

  test('national formats use DEFAULT_REGION', () => {
    expect(numberFromHeader('sip:2025550123@host', 'US')).toBe('+12025550123')
    expect(numberFromHeader('sip:(202)555-0123@host', 'US')).toBe('+12025550123')
    expect(numberFromHeader('sip:07911123456@host', 'GB')).toBe('+447911123456')
    expect(numberFromHeader('sip:00447911123456@host', 'GB')).toBe('+447911123456') // international prefix
    expect(numberFromHeader('sip:011447911123456@host', 'US')).toBe('+447911123456')
    // in the US a 12-digit string is not national: read as international without '+'
    expect(numberFromHeader('sip:447911123456@host', 'US')).toBe('+447911123456')
  })

  test('user parameters before the host are dropped', () => {
    expect(numberFromHeader('sip:+12025550123;npdi;rn=+12025550000@host')).toBe('+12025550123')
  })

  test('anything that is not a telephone number gives nothing', () => {
    expect(numberFromHeader('sip:anonymous@anonymous.invalid')).toBeUndefined()
    expect(numberFromHeader('"Restricted" <sip:restricted@host>')).toBeUndefined()
    expect(numberFromHeader('sip:host.example')).toBeUndefined()
    expect(numberFromHeader('sip:12@host')).toBeUndefined()
    expect(numberFromHeader('')).toBeUndefined()
    expect(numberFromHeader(undefined)).toBeUndefined()
    expect(toE164('%E0%A4%A')).toBeUndefined()
  })

  test('helpers', () => {
    expect(uriOf('"A" <sip:1@h>;tag=x')).toBe('sip:1@h')
    expect(uriOf('sip:1@h;tag=x')).toBe('sip:1@h;tag=x')
    expect(userPartOf('sip:+1@h')).toEqual({ user: '+1' })
    expect(userPartOf('mailto:x@y')).toBeUndefined()
  })
})
