/**
 * Reads the UDP datagrams of a classic pcap file (what rtpengine's `pcap` recording method writes:
 * link type RAW, one IPv4/IPv6 packet per record). Ethernet, Linux cooked capture and BSD loopback
 * framing are read too, so a capture taken with tcpdump converts the same way. pcapng is refused.
 */

export interface UdpDatagram {
  /** Capture time, ms since the epoch (fractional). */
  at: number
  src: string
  srcPort: number
  dst: string
  dstPort: number
  payload: Uint8Array
}

export class PcapFormatError extends Error {
  override name = 'PcapFormatError'
}

const LINK_NULL = 0
const LINK_ETHERNET = 1
const LINK_RAW = 101
const LINK_LINUX_SLL = 113
const LINK_IPV4 = 228
const LINK_IPV6 = 229

export function readUdpDatagrams(file: Uint8Array): UdpDatagram[] {
  if (file.byteLength < 24) throw new PcapFormatError('not a pcap file (shorter than its header)')
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const magic = view.getUint32(0, false)
  let little: boolean
  let nano: boolean
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) [little, nano] = [false, magic === 0xa1b23c4d]
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) [little, nano] = [true, magic === 0x4d3cb2a1]
  else if (magic === 0x0a0d0d0a) throw new PcapFormatError('pcapng is not supported (classic pcap only)')
  else throw new PcapFormatError('not a pcap file (unknown magic number)')
  const link = view.getUint32(20, little) & 0x0fffffff
  const out: UdpDatagram[] = []
  let off = 24
  while (off + 16 <= file.byteLength) {
    const sec = view.getUint32(off, little)
    const frac = view.getUint32(off + 4, little)
    const caplen = view.getUint32(off + 8, little)
    off += 16
    // A record cut short (rtpengine killed mid-write) ends the file; what came before stands.
    if (off + caplen > file.byteLength) break
    const at = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3)
    const d = udpOf(file.subarray(off, off + caplen), link, at)
    if (d) out.push(d)
    off += caplen
  }
  return out
}

function udpOf(frame: Uint8Array, link: number, at: number): UdpDatagram | undefined {
  let ip: Uint8Array
  switch (link) {
    case LINK_RAW:
    case LINK_IPV4:
    case LINK_IPV6:
      ip = frame
      break
    case LINK_ETHERNET: {
      let o = 12
      let type = be16(frame, o)
      while (type === 0x8100 || type === 0x88a8) [o, type] = [o + 4, be16(frame, o + 4)] // VLAN tags
      ip = frame.subarray(o + 2)
      break
    }
    case LINK_LINUX_SLL:
      ip = frame.subarray(16)
      break
    case LINK_NULL:
      ip = frame.subarray(4)
      break
    default:
      throw new PcapFormatError(`pcap link type ${link} is not supported`)
  }
  if (ip.byteLength < 1) return undefined
  const version = ip[0]! >> 4
  let src: string
  let dst: string
  let udp: Uint8Array
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4
    if (ip.byteLength < ihl + 8 || ip[9] !== 17) return undefined
    // Fragments (offset or more-fragments set) are not RTP we can use.
    if ((be16(ip, 6) & 0x3fff) !== 0) return undefined
    src = ip.subarray(12, 16).join('.')
    dst = ip.subarray(16, 20).join('.')
    udp = ip.subarray(ihl, Math.min(ip.byteLength, be16(ip, 2)))
  } else if (version === 6) {
    if (ip.byteLength < 48 || ip[6] !== 17) return undefined
    src = ipv6(ip.subarray(8, 24))
    dst = ipv6(ip.subarray(24, 40))
    udp = ip.subarray(40)
  } else return undefined
  if (udp.byteLength < 8) return undefined
  const len = Math.min(udp.byteLength, be16(udp, 4))
  return { at, src, srcPort: be16(udp, 0), dst, dstPort: be16(udp, 2), payload: udp.subarray(8, len) }
}

function be16(b: Uint8Array, o: number): number {
  return ((b[o]! << 8) | b[o + 1]!) >>> 0
}

function ipv6(b: Uint8Array): string {
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(be16(b, i).toString(16))
  return parts.join(':')
}
