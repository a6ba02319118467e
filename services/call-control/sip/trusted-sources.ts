/**
 * SIP_TRUSTED_SOURCES: the CIDRs (IPv4 or IPv6, or bare addresses) whose INVITEs are taken.
 * Anything else is refused with 403 before any lookup, so strangers cannot probe sessions.
 */
import { isIP } from 'node:net'

interface Range {
  family: 4 | 6
  bits: bigint
  prefix: number
}

/** An address as a 32- or 128-bit integer; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) reads as IPv4. */
export function addressBits(address: string): { family: 4 | 6; bits: bigint } | undefined {
  let a = address.trim()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)
  if (mapped) a = mapped[1]!
  const kind = isIP(a)
  if (kind === 4) {
    const parts = a.split('.').map(Number)
    return { family: 4, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) }
  }
  if (kind === 6) return { family: 6, bits: ipv6Bits(a) }
  return undefined
}

function ipv6Bits(a: string): bigint {
  let text = a
  // A trailing dotted quad (e.g. ::1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const n = v4[1]!.split('.').map(Number)
    text = text.slice(0, -v4[1]!.length) + `${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n)
}

function parseRange(text: string): Range {
  const [addr, len] = text.split('/') as [string, string | undefined]
  const parsed = addressBits(addr)
  if (!parsed) throw new Error(`"${text}" is not an IP address or CIDR`)
  const width = parsed.family === 4 ? 32 : 128
  const prefix = len === undefined ? width : Number(len)
  if (len !== undefined && !/^\d{1,3}$/.test(len)) throw new Error(`"${text}" has a bad prefix length`)
  if (prefix < 0 || prefix > width) throw new Error(`"${text}" has a bad prefix length`)
  return { family: parsed.family, bits: parsed.bits >> BigInt(width - prefix), prefix }
}

export interface TrustedSources {
  readonly ranges: readonly Range[]
  includes(address: string): boolean
}

/** Parses a comma- or space-separated list; throws with the offending entry. */
export function parseCidrList(text: string): TrustedSources {
  const ranges = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseRange)
  return {
    ranges,
    includes(address: string) {
      const a = addressBits(address)
      if (!a) return false
      const width = a.family === 4 ? 32 : 128
      return ranges.some((r) => r.family === a.family && a.bits >> BigInt(width - r.prefix) === r.bits)
    },
  }
}
