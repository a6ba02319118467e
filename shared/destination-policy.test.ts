import { describe, expect, test } from 'bun:test'
import { allowedCountriesOf, classifyNumber, destinationRefusal } from './destination-policy'

const US = { allowedCountries: new Set(['US']), isPlatformNumber: false }

describe('destination policy', () => {
  test('costly number types are refused whatever the countries', () => {
    const all = { allowedCountries: new Set(['US', 'GB', 'FR']), isPlatformNumber: false }
    expect(destinationRefusal('+19005551234', all)).toBe('premium_rate') // US 900
    expect(destinationRefusal('+449090901234', all)).toBe('premium_rate') // GB 909
    expect(destinationRefusal('+448712345678', all)).toBe('premium_rate') // GB 0871
    expect(destinationRefusal('+15005550006', all)).toBe('personal_number') // US 500
    expect(destinationRefusal('+447012345678', all)).toBe('personal_number') // GB 070
    expect(destinationRefusal('+445512345678', all)).toBe('uan') // GB 055
    expect(destinationRefusal('+33810123456', all)).toBe('shared_cost') // FR 0810
    expect(destinationRefusal('+881612345678', all)).toBe('non_geographic') // Iridium satellite
    expect(destinationRefusal('+870772123456', all)).toBe('non_geographic') // Inmarsat
    expect(destinationRefusal('+883510012345', all)).toBe('non_geographic') // international network
    expect(destinationRefusal('+12025550199', all)).toBeUndefined()
  })

  test('fixed, mobile and toll-free numbers in an allowed country pass; other countries do not', () => {
    expect(destinationRefusal('+12025550100', US)).toBeUndefined()
    expect(destinationRefusal('+18005551234', US)).toBeUndefined() // toll free
    expect(destinationRefusal('+33612345678', US)).toBe('country_not_allowed')
    expect(destinationRefusal('+14165550100', US)).toBe('country_not_allowed') // Toronto: +1 but CA
    expect(destinationRefusal('+33612345678', { ...US, allowedCountries: new Set(['US', 'FR']) })).toBeUndefined()
  })

  test('a platform number is refused before anything else', () => {
    expect(destinationRefusal('+12025550100', { ...US, isPlatformNumber: true })).toBe('platform_number')
  })

  test('types come from the full metadata', () => {
    expect(classifyNumber('+19005551234')).toEqual({ country: 'US', typeRefusal: 'premium_rate' })
    expect(classifyNumber('+12025550100')).toEqual({ country: 'US' })
  })

  test('the default countries are those of the tenant’s numbers; an operator list replaces them', () => {
    expect([...allowedCountriesOf(null, ['US', 'US', null, 'DE'])].sort()).toEqual(['DE', 'US'])
    expect([...allowedCountriesOf(['FR'], ['US'])]).toEqual(['FR'])
    expect([...allowedCountriesOf([], ['US'])]).toEqual([])
  })
})
