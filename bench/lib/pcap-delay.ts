/**
 * rtpengine's own forwarding delay, from the kernel's timestamps: a loopback capture (dumpcap,
 * classic pcap) of RTP going into rtpengine's port range and coming out of it; each packet is
 * matched in → out by (SSRC, sequence number), which rtpengine passes through unchanged. Free of
 * the load generator's scheduling, which dominates an end-to-end figure on a busy machine.
 */
import { readFileSync } from 'node:fs'

export interface CaptureDelay {
  matched: number
  /** Forwarding delays, ms, ascending. */
  delaysMs: Float64Array
}

export function rtpengineDelays(pcapFile: string, portMin: number, portMax: number): CaptureDelay {
  const b = readFileSync(pcapFile)
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const magic = v.getUint32(0, true)
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d
  if (!le && v.getUint32(0, false) !== 0xa1b2c3d4 && v.getUint32(0, false) !== 0xa1b23c4d) throw new Error('not a classic pcap file (dumpcap -P)')
  const nano = (le ? magic : v.getUint32(0, false)) === 0xa1b23c4d
  const linktype = v.getUint32(20, le)
  const l2 = linktype === 1 ? 14 : linktype === 113 ? 16 : 0 // Ethernet (lo), Linux cooked
  const sent = new Map<string, number>()
  const delays: number[] = []
  const inRange = (p: number) => p >= portMin && p <= portMax
  for (let off = 24; off + 16 <= b.length; ) {
    const t = v.getUint32(off, le) * 1000 + v.getUint32(off + 4, le) / (nano ? 1e6 : 1e3)
    const incl = v.getUint32(off + 8, le)
    const p = off + 16
    off = p + incl
    const ip = p + l2
    if (incl < l2 + 20 + 8 + 12 || b[ip]! >> 4 !== 4 || b[ip + 9] !== 17) continue
    const udp = ip + (b[ip]! & 0x0f) * 4
    const sport = v.getUint16(udp)
    const dport = v.getUint16(udp + 2)
    const rtp = udp + 8
    if (rtp + 12 > p + incl || b[rtp] !== 0x80 || (b[rtp + 1]! & 0x7f) >= 72) continue // RTP only, not RTCP
    const key = `${v.getUint32(rtp + 8)}:${v.getUint16(rtp + 2)}`
    if (inRange(dport) && !inRange(sport)) sent.set(key, t)
    else if (inRange(sport) && !inRange(dport)) {
      const t0 = sent.get(key)
      if (t0 !== undefined) {
        delays.push(t - t0)
        sent.delete(key)
      }
    }
  }
  return { matched: delays.length, delaysMs: Float64Array.from(delays).sort() }
}
