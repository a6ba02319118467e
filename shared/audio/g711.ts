/** G.711 decoding (ITU-T G.711): µ-law (RTP payload type 0, PCMU) and A-law (8, PCMA) to 16-bit PCM. */

function ulawToLinear(u: number): number {
  u = ~u & 0xff
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
  return u & 0x80 ? 0x84 - t : t - 0x84
}

function alawToLinear(a: number): number {
  a ^= 0x55
  const seg = (a & 0x70) >> 4
  let t = (a & 0x0f) << 4
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1)
  return a & 0x80 ? t : -t
}

const ULAW = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i))
const ALAW = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i))

export type G711 = 'pcmu' | 'pcma'

/** The codec of a static RTP payload type, or undefined for anything we do not decode. */
export function g711OfPayloadType(pt: number): G711 | undefined {
  return pt === 0 ? 'pcmu' : pt === 8 ? 'pcma' : undefined
}

export function decodeG711(codec: G711, bytes: Uint8Array, into: Int16Array, at: number): void {
  const table = codec === 'pcmu' ? ULAW : ALAW
  const n = Math.min(bytes.length, into.length - at)
  for (let i = 0; i < n; i++) into[at + i] = table[bytes[i]!]!
}

/** Encoders, for producing test media (the inverse of the tables above, to within quantisation). */
export function encodeUlaw(sample: number): number {
  const BIAS = 0x84
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)))
  const sign = s < 0 ? 0x80 : 0
  if (sign) s = -s
  s += BIAS
  let exp = 7
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0f)) & 0xff
}

export function encodeAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)))
  const sign = s >= 0 ? 0x80 : 0
  if (!sign) s = -s - 1
  let seg = 0
  for (let v = s >> 8; v > 0 && seg < 7; v >>= 1) seg++
  const mant = seg === 0 ? (s >> 4) & 0x0f : (s >> (seg + 3)) & 0x0f
  return ((sign | (seg << 4) | mant) ^ 0x55) & 0xff
}
