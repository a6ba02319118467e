/**
 * The destination policy (toll-fraud guard): which numbers the platform may dial for a tenant.
 * A number must be of a type that costs the caller nothing unusual (fixed line, mobile, toll
 * free, VoIP), in a country the tenant may reach, and not one of the platform's own numbers
 * (a masked number as a party would let sessions call each other in a loop).
 *
 * Number types come from libphonenumber-js's full metadata (`/max`): the default metadata can
 * tell valid from invalid but not premium rate from mobile. A classification costs ~0.15 ms, so
 * results are remembered (the same parties come back all day).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

export type DestinationRefusal =
  | 'premium_rate'
  | 'shared_cost'
  | 'personal_number'
  | 'uan'
  /** Satellite (+870, +881), international networks (+882, +883), other non-geographic codes. */
  | 'non_geographic'
  /** Pager, voicemail access, or a number whose type libphonenumber cannot tell. */
  | 'unknown_type'
  | 'country_not_allowed'
  | 'platform_number'

/** Types a party may have; everything else is refused (an allow list, so a new type is refused until judged). */
const ALLOWED_TYPES = new Set(['FIXED_LINE', 'MOBILE', 'FIXED_LINE_OR_MOBILE', 'TOLL_FREE', 'VOIP'])

const REFUSED_TYPES: Record<string, DestinationRefusal> = {
  PREMIUM_RATE: 'premium_rate',
  SHARED_COST: 'shared_cost',
  PERSONAL_NUMBER: 'personal_number',
  UAN: 'uan',
}

export const REFUSAL_TEXT: Record<DestinationRefusal, string> = {
  premium_rate: 'premium-rate numbers may not be called',
  shared_cost: 'shared-cost numbers may not be called',
  personal_number: 'personal numbers (follow-me services) may not be called',
  uan: 'universal access numbers may not be called',
  non_geographic: 'satellite and international-network numbers may not be called',
  unknown_type: 'numbers of this type may not be called',
  country_not_allowed: "this tenant may not call numbers in this number's country",
  platform_number: "a party may not be one of the platform's own numbers",
}

export interface NumberClass {
  /** ISO 3166-1 alpha-2, or null for non-geographic numbers. */
  country: string | null
  /** Why its type alone refuses it, if it does. */
  typeRefusal?: DestinationRefusal
}

const classes = new Map<string, NumberClass>()
const CLASSES_MAX = 20_000

/** The country and type verdict of an E.164 number (memoised). */
export function classifyNumber(e164: string): NumberClass {
  const hit = classes.get(e164)
  if (hit) return hit
  const p = parsePhoneNumberFromString(e164)
  const type = p?.isValid() ? p.getType() : undefined
  const country = p?.country ?? null
  let typeRefusal: DestinationRefusal | undefined
  if (!country) typeRefusal = 'non_geographic'
  else if (!type || !ALLOWED_TYPES.has(type)) typeRefusal = REFUSED_TYPES[type ?? ''] ?? 'unknown_type'
  const c: NumberClass = { country, ...(typeRefusal ? { typeRefusal } : {}) }
  if (classes.size >= CLASSES_MAX) classes.clear()
  classes.set(e164, c)
  return c
}

export interface DestinationContext {
  /** Countries the tenant may reach. */
  allowedCountries: ReadonlySet<string>
  /** The number is in the platform's DID pool (any status). */
  isPlatformNumber: boolean
}

/** Why `e164` may not be dialled for this tenant, or undefined when it may. */
export function destinationRefusal(e164: string, ctx: DestinationContext): DestinationRefusal | undefined {
  if (ctx.isPlatformNumber) return 'platform_number'
  const c = classifyNumber(e164)
  if (c.typeRefusal) return c.typeRefusal
  if (!ctx.allowedCountries.has(c.country!)) return 'country_not_allowed'
  return undefined
}

/**
 * The countries a tenant may reach: the operator's list when set, else the countries of the
 * tenant's own masked numbers (a tenant with US numbers serves US parties; calling abroad is an
 * operator's decision).
 */
export function allowedCountriesOf(configured: readonly string[] | null, heldNumberCountries: Iterable<string | null>): Set<string> {
  if (configured) return new Set(configured)
  const out = new Set<string>()
  for (const c of heldNumberCountries) if (c) out.add(c)
  return out
}
