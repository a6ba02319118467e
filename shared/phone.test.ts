import { describe, expect, test } from 'bun:test'
import { countryOf, normalizeForMatch, normalizePhone, parseE164 } from './phone'

describe('phone numbers', () => {
  test('parseE164 is strict: + and digits, valid for its country', () => {
    expect(parseE164('+14155550100')).toEqual({ e164: '+14155550100', country: 'US' })
    expect(parseE164('+4930123456000')).toEqual({ e164: '+4930123456000', country: 'DE' })
    for (const bad of ['14155550100', '+1 415 555 0100', '+1-415-555-0100', '+15555550100', '+1415555010', '', '+', 'abc']) expect(parseE164(bad)).toBeNull()
  })

  test('parseE164 answers the same from its memory, and a caller cannot corrupt it', () => {
    const first = parseE164('+33612340001')!
    first.country = 'XX'
    expect(parseE164('+33612340001')).toEqual({ e164: '+33612340001', country: 'FR' })
    expect(parseE164('+15555550100')).toBeNull()
    expect(parseE164('+15555550100')).toBeNull()
  })

  test('normalizePhone reads national formats with a default region (SIP headers)', () => {
    expect(normalizePhone('(415) 555-0100', 'US')).toBe('+14155550100')
    expect(normalizePhone('030 123456000', 'DE')).toBe('+4930123456000')
    expect(normalizePhone('+1 415 555 0100')).toBe('+14155550100')
    expect(normalizePhone('anonymous', 'US')).toBeNull()
  })

  test('normalizeForMatch keeps E.164 as is and normalizes the rest when it can', () => {
    expect(normalizeForMatch('+14155550100')).toBe('+14155550100')
    expect(normalizeForMatch('415-555-0100', 'US')).toBe('+14155550100')
    expect(normalizeForMatch('anonymous', 'US')).toBe('anonymous')
    expect(countryOf('+4930123456000')).toBe('DE')
  })
})
