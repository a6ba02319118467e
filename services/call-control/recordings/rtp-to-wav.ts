/**
 * The recording converter's rule: RTP datagrams of a call (as read from rtpengine's pcap) become a
 * stereo 16-bit 8 kHz WAV, the calling party on the left channel and the called party on the
 * right. Datagrams are told apart by the rtpengine port they were sent to (from the metadata: the
 * answer's port receives the caller's RTP, the offer's port the callee's); a datagram to another
 * port follows its sender's address when that sender is known. Within a party, each SSRC is placed
 * on the timeline at its first packet's capture time, then by RTP timestamp, so jitter does not
 * move audio and a lost packet is silence. G.711 µ-law and A-law are decoded; other payload types
 * (telephone-event, comfort noise, RTCP on a muxed port) are left out.
 */
import { decodeG711, g711OfPayloadType } from '../../../shared/audio/g711'
import { stereoWav } from '../../../shared/audio/pcm-wav'
export { readPcmWav, stereoWav } from '../../../shared/audio/pcm-wav'
import type { UdpDatagram } from './pcap-reader'
import type { RecordingMetadata } from './rtpengine-metadata'

export const SAMPLE_RATE = 8000

export type Channel = 0 | 1

export interface Overlay {
  /** 8 kHz mono samples (the recording notice, as it was played to both parties). */
  samples: Int16Array
  /** Where it starts, in ms from the start of the recording. */
  atMs: number
}

export interface ConvertOptions {
  /** Start and end of the recording, ms since the epoch; default the first and last packet. */
  startMs?: number
  endMs?: number
  overlays?: Overlay[]
}

export interface ConvertedRecording {
  wav: Uint8Array
  durationMs: number
  /** RTP packets used per channel (left = caller, right = callee), and datagrams left out. */
  packets: [number, number]
  ignored: number
}

interface Rtp {
  pt: number
  ssrc: number
  ts: number
  payload: Uint8Array
}

function parseRtp(b: Uint8Array): Rtp | undefined {
  if (b.byteLength < 12 || b[0]! >> 6 !== 2) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let off = 12 + (b[0]! & 0x0f) * 4
  if (b[0]! & 0x10) {
    if (b.byteLength < off + 4) return undefined
    off += 4 + v.getUint16(off + 2) * 4
  }
  let end = b.byteLength
  if (b[0]! & 0x20) end -= b[end - 1]!
  if (end < off) return undefined
  return { pt: b[1]! & 0x7f, ssrc: v.getUint32(8), ts: v.getUint32(4), payload: b.subarray(off, end) }
}

/** Which channel each datagram belongs to (undefined: not a party's RTP we can place). */
export function channelOf(datagrams: UdpDatagram[], meta: RecordingMetadata): (Channel | undefined)[] {
  const byPort = new Map<number, Channel>()
  if (meta.answerPort !== undefined) byPort.set(meta.answerPort, 0)
  if (meta.offerPort !== undefined) byPort.set(meta.offerPort, 1)
  const bySender = new Map<string, Channel>()
  // Without metadata, the first port heard is the caller's (the caller's RTP starts the call).
  const firstSeen = byPort.size === 0
  return datagrams.map((d) => {
    let c = byPort.get(d.dstPort)
    if (c === undefined && firstSeen && byPort.size < 2 && g711OfPayloadType((d.payload[1] ?? 0) & 0x7f) !== undefined) {
      c = byPort.size === 0 ? 0 : 1
      byPort.set(d.dstPort, c)
    }
    const sender = `${d.src}:${d.srcPort}`
    if (c !== undefined) bySender.set(sender, c)
    else c = bySender.get(sender)
    return c
  })
}

export function rtpToWav(datagrams: UdpDatagram[], meta: RecordingMetadata, o: ConvertOptions = {}): ConvertedRecording {
  const channels = channelOf(datagrams, meta)
  const placed: { c: Channel; at: number; rtp: Rtp; codec: 'pcmu' | 'pcma' }[] = []
  let ignored = 0
  for (const [i, d] of datagrams.entries()) {
    const c = channels[i]
    const rtp = c === undefined ? undefined : parseRtp(d.payload)
    const codec = rtp && g711OfPayloadType(rtp.pt)
    if (c === undefined || !rtp || !codec) {
      ignored++
      continue
    }
    placed.push({ c, at: d.at, rtp, codec })
  }
  const startMs = o.startMs ?? (placed.length ? Math.min(...placed.map((p) => p.at)) : 0)
  // The first packet's time plus its samples: each sample position is computed below.
  const anchors = new Map<string, { pos: number; ts: number }>()
  const positions: number[] = []
  let lastSample = 0
  for (const p of placed) {
    const key = `${p.c}/${p.rtp.ssrc}`
    let a = anchors.get(key)
    if (!a) {
      a = { pos: Math.round(((p.at - startMs) * SAMPLE_RATE) / 1000), ts: p.rtp.ts }
      anchors.set(key, a)
    }
    // 32-bit RTP timestamp difference, signed (a reordered packet sits before its successor).
    const delta = ((p.rtp.ts - a.ts) | 0) as number
    const pos = a.pos + delta
    positions.push(pos)
    lastSample = Math.max(lastSample, pos + p.rtp.payload.byteLength)
  }
  const total = Math.max(0, o.endMs !== undefined ? Math.round(((o.endMs - startMs) * SAMPLE_RATE) / 1000) : lastSample)
  const left = new Int16Array(total)
  const right = new Int16Array(total)
  const packets: [number, number] = [0, 0]
  for (const [i, p] of placed.entries()) {
    const pos = positions[i]!
    if (pos < 0 || pos >= total) continue
    decodeG711(p.codec, p.rtp.payload, p.c === 0 ? left : right, pos)
    packets[p.c]++
  }
  for (const ov of o.overlays ?? []) {
    const at = Math.round((ov.atMs * SAMPLE_RATE) / 1000)
    for (let i = 0; i < ov.samples.length; i++) {
      const j = at + i
      if (j < 0 || j >= total) continue
      left[j] = clip(left[j]! + ov.samples[i]!)
      right[j] = clip(right[j]! + ov.samples[i]!)
    }
  }
  return { wav: stereoWav(left, right), durationMs: Math.round((total * 1000) / SAMPLE_RATE), packets, ignored }
}

function clip(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v
}

