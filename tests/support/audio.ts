/**
 * Test media: G.711 tone packets, a classic pcap writer (so the converter can be tested on
 * captures we make ourselves), and a Goertzel detector to say which tone a channel carries.
 */
import { encodeAlaw, encodeUlaw } from '../../shared/audio/g711'

/** One RTP packet of 20 ms (160 samples) of a sine of `hz`, G.711 µ-law (PT 0) or A-law (PT 8). */
export function toneRtp(o: { hz: number; seq: number; ssrc: number; pt?: 0 | 8; amplitude?: number; tsBase?: number }): Uint8Array {
  const pt = o.pt ?? 0
  const p = new Uint8Array(172)
  const v = new DataView(p.buffer)
  v.setUint8(0, 0x80)
  v.setUint8(1, pt)
  v.setUint16(2, o.seq & 0xffff)
  const ts = ((o.tsBase ?? 0) + o.seq * 160) >>> 0
  v.setUint32(4, ts)
  v.setUint32(8, o.ssrc >>> 0)
  const amp = o.amplitude ?? 8000
  const enc = pt === 0 ? encodeUlaw : encodeAlaw
  for (let i = 0; i < 160; i++) p[12 + i] = enc(amp * Math.sin((2 * Math.PI * o.hz * (o.seq * 160 + i)) / 8000))
  return p
}

export interface PcapRecord {
  at: number
  src: string
  srcPort: number
  dst: string
  dstPort: number
  payload: Uint8Array
}

/** A pcap (link type RAW, µs timestamps, little-endian) of IPv4/UDP datagrams, like rtpengine writes. */
export function writePcap(records: PcapRecord[]): Uint8Array {
  const parts: Uint8Array[] = []
  const head = new Uint8Array(24)
  const hv = new DataView(head.buffer)
  hv.setUint32(0, 0xa1b2c3d4, true)
  hv.setUint16(4, 2, true)
  hv.setUint16(6, 4, true)
  hv.setUint32(16, 65535, true)
  hv.setUint32(20, 101, true)
  parts.push(head)
  for (const r of records) {
    const ipLen = 20 + 8 + r.payload.byteLength
    const rec = new Uint8Array(16 + ipLen)
    const v = new DataView(rec.buffer)
    const sec = Math.floor(r.at / 1000)
    v.setUint32(0, sec, true)
    v.setUint32(4, Math.round((r.at - sec * 1000) * 1000), true)
    v.setUint32(8, ipLen, true)
    v.setUint32(12, ipLen, true)
    const ip = 16
    v.setUint8(ip, 0x45)
    v.setUint16(ip + 2, ipLen)
    v.setUint8(ip + 8, 64)
    v.setUint8(ip + 9, 17)
    rec.set(r.src.split('.').map(Number), ip + 12)
    rec.set(r.dst.split('.').map(Number), ip + 16)
    v.setUint16(ip + 20, r.srcPort)
    v.setUint16(ip + 22, r.dstPort)
    v.setUint16(ip + 24, 8 + r.payload.byteLength)
    rec.set(r.payload, ip + 28)
    parts.push(rec)
  }
  return Buffer.concat(parts)
}

/** Relative power of `hz` in samples (Goertzel), normalised by the signal's energy: ~0.5 for a pure tone. */
export function toneShare(samples: Int16Array, hz: number, rate = 8000): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate))
  let s1 = 0
  let s2 = 0
  let energy = 0
  for (const x of samples) {
    const s = x + k * s1 - s2
    s2 = s1
    s1 = s
    energy += x * x
  }
  if (energy === 0) return 0
  const power = s1 * s1 + s2 * s2 - k * s1 * s2
  return (2 * power) / (samples.length * energy)
}

/** The one of `candidates` a stretch of samples carries most strongly. */
export function dominantTone(samples: Int16Array, candidates: number[]): { hz: number; share: number } {
  let best = { hz: 0, share: -1 }
  for (const hz of candidates) {
    const share = toneShare(samples, hz)
    if (share > best.share) best = { hz, share }
  }
  return best
}

/** RMS level of samples. */
export function rms(samples: Int16Array): number {
  let e = 0
  for (const x of samples) e += x * x
  return samples.length ? Math.sqrt(e / samples.length) : 0
}
