/**
 * The client's address. Behind proxies (`TRUST_PROXY`: their addresses or CIDRs), the client is
 * the right-most `X-Forwarded-For` entry that is not one of our proxies: entries to its left
 * were written by the client itself and prove nothing. Without trusted proxies, or when the
 * peer is not one of them, the socket's peer address is the client.
 */
import { BlockList, isIP } from 'node:net'

export interface TrustedProxies {
  readonly empty: boolean
  includes(address: string): boolean
}

/** Parses `TRUST_PROXY`: a comma- or space-separated list of addresses and CIDRs; throws naming the bad entry. */
export function parseTrustedProxies(text: string): TrustedProxies {
  const list = new BlockList()
  const entries = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== 'false')
  for (const e of entries) {
    if (e.toLowerCase() === 'true') throw new Error('is a list of proxy addresses or CIDRs now (e.g. 10.0.0.0/8), not true')
    const [addr, len] = e.split('/') as [string, string | undefined]
    const family = isIP(addr)
    if (!family) throw new Error(`"${e}" is not an IP address or CIDR`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (len === undefined) list.addAddress(addr, type)
    else {
      const prefix = Number(len)
      if (!/^\d{1,3}$/.test(len) || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${e}" has a bad prefix length`)
      list.addSubnet(addr, prefix, type)
    }
  }
  return {
    empty: entries.length === 0,
    includes(address: string) {
      const a = address.replace(/^\[|\]$/g, '')
      const family = isIP(a)
      if (!family) return false
      if (list.check(a, family === 4 ? 'ipv4' : 'ipv6')) return true
      // An IPv4 peer seen on a dual-stack socket arrives as ::ffff:a.b.c.d.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)
      return mapped ? list.check(mapped[1]!, 'ipv4') : false
    },
  }
}

/** Pure: the client address from the peer address and the `X-Forwarded-For` header. */
export function clientAddress(peer: string | null, forwardedFor: string | null, trusted: TrustedProxies): string | null {
  if (!peer || trusted.empty || !forwardedFor || !trusted.includes(peer)) return peer
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!
    if (!isIP(hop.replace(/^\[|\]$/g, ''))) return peer // garbage in the chain: trust only what we saw
    if (!trusted.includes(hop)) return hop
  }
  // Every hop is one of ours: the left-most is as close to the client as we can tell.
  return hops[0] ?? peer
}
