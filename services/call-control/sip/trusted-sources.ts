/**
 * SIP_TRUSTED_SOURCES: the CIDRs (IPv4 or IPv6, or bare addresses) whose INVITEs are taken.
 * Anything else is refused with 403 before any lookup, so strangers cannot probe sessions.
 * Matching is the runtime's `net.BlockList` (IPv4 rules also match IPv4-mapped IPv6 sources).
 */
import { BlockList } from 'node:net'
import { plainAddress } from '../../../shared/ip-address'

export interface TrustedSources {
  /** The entries as configured. */
  readonly ranges: readonly string[]
  includes(address: string): boolean
}

function addRange(list: BlockList, text: string): void {
  const [addr, len] = text.split('/') as [string, string | undefined]
  const a = plainAddress(addr)
  if (!a) throw new Error(`"${text}" is not an IP address or CIDR`)
  if (len === undefined) return list.addAddress(a.address, a.family)
  if (!/^\d{1,3}$/.test(len) || Number(len) > (a.family === 'ipv4' ? 32 : 128)) throw new Error(`"${text}" has a bad prefix length`)
  list.addSubnet(a.address, Number(len), a.family)
}

/** Parses a comma- or space-separated list; throws with the offending entry. */
export function parseCidrList(text: string): TrustedSources {
  const ranges = text.split(/[\s,]+/).filter(Boolean)
  const list = new BlockList()
  for (const r of ranges) addRange(list, r)
  return {
    ranges,
    includes(address: string) {
      const a = plainAddress(address)
      return a !== undefined && list.check(a.address, a.family)
    },
  }
}
