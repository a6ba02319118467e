/** IP addresses as they arrive (a socket, a Via, a URL host): checked by the runtime's `net.isIP`. */
import { isIP } from 'node:net'

/**
 * The address without brackets or an IPv6 zone (`[fe80::1%eth0]` → `fe80::1`), a dotted
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, a dual-stack socket's view) read as the IPv4 it is, and its
 * family as `net.BlockList` names it; undefined for anything that is not an IP address.
 */
export function plainAddress(text: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  let a = text.trim()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)
  if (mapped) a = mapped[1]!
  const kind = isIP(a)
  return kind === 4 ? { address: a, family: 'ipv4' } : kind === 6 ? { address: a, family: 'ipv6' } : undefined
}
