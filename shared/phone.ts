/**
 * Phone numbers: stored and returned in E.164. The REST API takes E.164 only (anything else is a
 * 422); national formats are for SIP headers, read with a default region.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

export interface ParsedPhone {
  e164: string
  /** ISO 3166-1 alpha-2, or null for non-geographic numbers (+800, +882, …). */
  country: string | null
}

/**
 * What a phone number becomes once anonymised (retention, erasure): the same marker the logs use
 * for redacted values. Never a valid number, so nothing routes, dials or matches it; the columns
 * stay NOT NULL and the API fields stay strings.
 */
export const ANONYMISED_PHONE = '[redacted]'

const E164_SHAPE = /^\+[1-9]\d{1,14}$/

/** Parsed numbers, remembered: the same drivers and customers come back all day, and a parse costs tens of µs. */
const parsed = new Map<string, ParsedPhone | null>()
const PARSED_MAX = 10_000

/** Strict: `+` and digits only, and a valid number for its country. */
export function parseE164(input: string): ParsedPhone | null {
  if (!E164_SHAPE.test(input)) return null
  const hit = parsed.get(input)
  if (hit !== undefined) return hit && { ...hit }
  const p = parsePhoneNumberFromString(input)
  const result = p && p.isValid() && p.number === input ? { e164: p.number, country: p.country ?? null } : null
  if (parsed.size >= PARSED_MAX) parsed.clear()
  parsed.set(input, result)
  return result && { ...result }
}

/** Already E.164-shaped input is taken as is (it can only match stored numbers verbatim). */
export function normalizeForMatch(input: string, defaultRegion?: string): string {
  return E164_SHAPE.test(input) ? input : (normalizePhone(input, defaultRegion) ?? input)
}

/** Lenient (SIP headers): E.164 or a national format in `defaultRegion`; null if not a valid number. */
export function normalizePhone(input: string, defaultRegion?: string): string | null {
  const trimmed = input.trim()
  const p = parsePhoneNumberFromString(trimmed, defaultRegion ? { defaultCountry: defaultRegion as CountryCode } : undefined)
  return p?.isValid() ? p.number : null
}

/** The country of an E.164 number, or null. */
export function countryOf(e164: string): string | null {
  return parsePhoneNumberFromString(e164)?.country ?? null
}
