/**
 * Callback URLs must not reach into our own network: a URL whose host is, or resolves to, a
 * loopback, private, link-local, shared (CGNAT), multicast or otherwise special address is
 * refused unless CALLBACK_ALLOW_PRIVATE=true. Checked when the URL is given (422) and again at
 * each delivery (DNS can change); every delivery, http or https, connects to an address that was
 * checked (https keeps the name for SNI and the certificate check), so DNS rebinding cannot steer it.
 */
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { plainAddress } from '../../../shared/ip-address'

/** One `net.BlockList` a label, in the table's order (the first match names the reason). */
function ranges(family: 'ipv4' | 'ipv6', table: [string, number, string][]): [BlockList, string][] {
  return table.map(([net, prefix, label]) => {
    const list = new BlockList()
    list.addSubnet(net, prefix, family)
    return [list, label]
  })
}

const V4_BLOCKED = ranges('ipv4', [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
])
const V6_BLOCKED = ranges('ipv6', [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['fec0::', 10, 'site-local'],
  ['100::', 64, 'discard'],
  // Transition ranges carry (or lead to) IPv4 addresses we cannot judge from here: a NAT64
  // gateway, a 6to4 relay or a Teredo server may deliver them to an internal host.
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['::', 96, 'IPv4-compatible'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64 (local use)'],
  ['2002::', 16, '6to4'],
  ['2001::', 32, 'Teredo'],
])

/** Why an address is not public (e.g. `loopback`), or undefined for a public one. */
export function nonPublicReason(address: string): string | undefined {
  // plainAddress reads a dotted ::ffff:a.b.c.d as IPv4; as a destination it is the mapped range.
  if (/^\[?::ffff:\d+\.\d+\.\d+\.\d+\]?$/i.test(address.trim())) return 'IPv4-mapped'
  const a = plainAddress(address)
  if (!a) return 'not an IP address'
  return (a.family === 'ipv4' ? V4_BLOCKED : V6_BLOCKED).find(([list]) => list.check(a.address, a.family))?.[1]
}

export type Resolver = (host: string) => Promise<string[]>

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((r) => r.address)

/** A URL we will not call. `permanent`: refused by policy or shape; otherwise (DNS) worth a retry. */
export class CallbackUrlError extends Error {
  constructor(message: string, readonly permanent = true) {
    super(message)
    this.name = 'CallbackUrlError'
  }
}

/** Checks an absolute http(s) URL's shape (no I/O). */
export function parseCallbackUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CallbackUrlError('state_callback must be an absolute http or https URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CallbackUrlError('state_callback must be an absolute http or https URL')
  if (!url.hostname) throw new CallbackUrlError('state_callback has no host')
  return url
}

/**
 * Resolves the URL's host and returns the addresses it may connect to. Throws CallbackUrlError
 * when any address is not public and private ones are not allowed (one bad answer is enough:
 * an attacker controls which answer a client uses).
 */
export async function checkCallbackTarget(url: URL, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<string[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  const literal = isIP(host) !== 0
  if (literal) addresses = [host]
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(host)
    } catch {
      throw new CallbackUrlError(`cannot resolve ${host}`, false)
    }
  }
  if (addresses.length === 0) throw new CallbackUrlError(`${host} has no address`, false)
  if (!opts.allowPrivate) {
    for (const a of addresses) {
      const why = nonPublicReason(a)
      if (!why) continue
      // A tenant learns nothing about our network: a name's answer (or its kind) stays unsaid.
      throw new CallbackUrlError(
        literal ? `${host} is a ${why} address; callbacks to private networks are refused` : `${host} does not resolve to a public address; callbacks to private networks are refused`,
      )
    }
  }
  return addresses
}
