/**
 * Numbers in SIP signalling to E.164. Trunks write them many ways: `sip:+15551234567@host;user=phone`,
 * `sip:15551234567@host` (international without `+`), `sip:5551234567@host` (national),
 * `sip:00447911123456@host` (with an international prefix), `tel:+1-555-123-4567`,
 * `tel:1234;phone-context=+1555`, percent-escaped `%2B`, and with `"Name" <…>;tag=` around them.
 * DEFAULT_REGION decides national forms; without it only international ones are understood.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

/**
 * The URI inside a name-addr (`"Bob" <sip:…>;tag=x`), or the text itself (a Request-URI, or an
 * addr-spec whose trailing `;tag=` lands among the host's parameters, which are not read).
 */
export function uriOf(header: string): string {
  const m = /<([^>]*)>/.exec(header)
  return (m ? m[1]! : header).trim()
}

/** The telephone-number part of a sip:/sips:/tel: URI, raw (still with separators), or undefined. */
export function userPartOf(uri: string): { user: string; phoneContext?: string } | undefined {
  const u = uri.trim()
  const tel = /^tel:([^;?]+)((?:;[^?]*)?)/i.exec(u)
  if (tel) {
    const ctx = /;phone-context=([^;]+)/i.exec(tel[2] ?? '')
    return { user: tel[1]!, ...(ctx ? { phoneContext: ctx[1]! } : {}) }
  }
  const sip = /^sips?:([^@;?]+)(;[^@]*)?@/i.exec(u)
  if (!sip) return undefined
  const ctx = /;phone-context=([^;]+)/i.exec(sip[2] ?? '')
  return { user: sip[1]!.split(':')[0]!, ...(ctx ? { phoneContext: ctx[1]! } : {}) }
}

const VISUAL_SEPARATORS = /[\s\-.()]/g
const E164_SHAPE = /^\+[1-9]\d{7,14}$/

/**
 * E.164 for a dialled/caller number as a trunk wrote it, or undefined for anything that is not a
 * telephone number (`anonymous`, a name, too short).
 */
export function toE164(raw: string, region?: string, phoneContext?: string): string | undefined {
  let text: string
  try {
    text = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  text = text.replace(VISUAL_SEPARATORS, '')
  if (phoneContext && phoneContext.startsWith('+') && !text.startsWith('+')) {
    text = phoneContext.replace(VISUAL_SEPARATORS, '') + text
  }
  if (!/^\+?\d{3,17}$/.test(text)) return undefined
  // Already E.164 (what trunks mostly send): nothing to normalise, and the full parse costs a
  // third of a millisecond on the signalling path.
  if (E164_SHAPE.test(text)) return text
  const parse = (t: string, r?: string) => {
    const p = parsePhoneNumberFromString(t, r as CountryCode | undefined)
    return p && p.isPossible() ? p : undefined
  }
  if (text.startsWith('+')) return parse(text)?.number
  // Digits without '+': national (or with an international prefix) in the default region, or
  // else international without its '+'. A valid reading wins over a merely possible one.
  const national = region ? parse(text, region) : undefined
  const international = parse(`+${text}`)
  if (national?.isValid()) return national.number
  if (international?.isValid()) return international.number
  return (national ?? international)?.number
}

/** E.164 from a From/To/P-Asserted-Identity header value or a Request-URI. */
export function numberFromHeader(header: string | undefined, region?: string): string | undefined {
  if (!header) return undefined
  const part = userPartOf(uriOf(header))
  return part ? toE164(part.user, region, part.phoneContext) : undefined
}

/**
 * Whether a header's number is written in national form (digits without `+`, an international
 * prefix or a phone-context): such a number needs DEFAULT_REGION to be read right.
 */
export function isNationalForm(header: string | undefined): boolean {
  if (!header) return false
  const part = userPartOf(uriOf(header))
  if (!part || part.phoneContext) return false
  let text: string
  try {
    text = decodeURIComponent(part.user).replace(VISUAL_SEPARATORS, '')
  } catch {
    return false
  }
  return /^\d{3,17}$/.test(text) && !text.startsWith('00')
}
