/**
 * Which source addresses call-control believes DTMF events from (a forged datagram could type a
 * PIN for a caller): DTMF_EVENTS_SOURCES when set, else the RTPENGINE_URLS hosts, resolved to
 * addresses (a name such as compose's `rtpengine-host` never equals a datagram's source address).
 */
import { lookup } from 'node:dns/promises'
import type { Logger } from '../../shared/log'
import { parseNgUrl } from '../../shared/media/rtpengine-client'
import { parseRtpengineUrls } from '../../shared/media/rtpengine-pool'
import { plainAddress } from '../../shared/ip-address'
import { parseCidrList } from './sip/trusted-sources'

export async function dtmfSourceCheck(sources: string, rtpengineUrls: string, log: Logger): Promise<(address: string) => boolean> {
  if (sources.trim()) {
    const ranges = parseCidrList(sources)
    return (a) => ranges.includes(a)
  }
  const addresses = new Set<string>()
  for (const url of parseRtpengineUrls(rtpengineUrls)) {
    const { host } = parseNgUrl(url)
    const literal = plainAddress(host)
    if (literal) {
      addresses.add(literal.address)
      continue
    }
    try {
      for (const r of await lookup(host, { all: true })) addresses.add(r.address)
    } catch (err) {
      log.warn({ err: (err as Error).message, host }, 'rtpengine host does not resolve: its DTMF events will be dropped (set DTMF_EVENTS_SOURCES)')
    }
  }
  return (a) => addresses.has(a)
}
