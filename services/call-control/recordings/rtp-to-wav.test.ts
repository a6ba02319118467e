import { describe, expect, test } from 'bun:test'
import { dominantTone, rms, toneRtp, toneShare, writePcap, type PcapRecord } from '../../../tests/support/audio'
import { PcapFormatError, readUdpDatagrams } from './pcap-reader'
import { parseRtpengineMetadata } from './rtpengine-metadata'
import { readPcmWav, rtpToWav, SAMPLE_RATE } from './rtp-to-wav'

const T0 = 1_796_000_000_000
const CALLER_PORT = 40610 // rtpengine port the caller sends to (the answer's m= port)
const CALLEE_PORT = 40600 // the offer's m= port
const META = `/rec/pcaps/x.pcap\n\nSDP mode: offer\n\nv=0\r\nm=audio ${CALLEE_PORT} RTP/AVP 0 8\r\n\nSDP mode: answer\n\nv=0\r\nm=audio ${CALLER_PORT} RTP/AVP 0 8\r\n`

function party(o: { hz: number; ssrc: number; src: string; dstPort: number; count: number; pt?: 0 | 8; startMs?: number; jitterMs?: (i: number) => number; drop?: (i: number) => boolean }): PcapRecord[] {
  const out: PcapRecord[] = []
  for (let i = 0; i < o.count; i++) {
    if (o.drop?.(i)) continue
    out.push({ at: T0 + (o.startMs ?? 0) + i * 20 + (o.jitterMs?.(i) ?? 0), src: o.src, srcPort: 5000, dst: '10.0.0.1', dstPort: o.dstPort, payload: toneRtp({ hz: o.hz, seq: i, ssrc: o.ssrc, pt: o.pt }) })
  }
  return out
}

const seconds = (s: Int16Array, from: number, to: number) => s.subarray(Math.round(from * SAMPLE_RATE), Math.round(to * SAMPLE_RATE))

describe('pcap → stereo WAV', () => {
  test('caller on the left, callee on the right, each with its own tone; µ-law and A-law; duration from the packets', () => {
    const records = [...party({ hz: 440, ssrc: 1, src: '10.0.0.2', dstPort: CALLER_PORT, count: 250 }), ...party({ hz: 1000, ssrc: 2, src: '10.0.0.3', dstPort: CALLEE_PORT, count: 250, pt: 8 })].sort((a, b) => a.at - b.at)
    const r = rtpToWav(readUdpDatagrams(writePcap(records)), parseRtpengineMetadata(META))
    expect(r.durationMs).toBe(5000)
    expect(r.packets).toEqual([250, 250])
    const wav = readPcmWav(r.wav)
    expect(wav.sampleRate).toBe(8000)
    expect(wav.channels).toHaveLength(2)
    const [left, right] = wav.channels as [Int16Array, Int16Array]
    expect(dominantTone(left, [440, 1000]).hz).toBe(440)
    expect(dominantTone(right, [440, 1000]).hz).toBe(1000)
    expect(toneShare(left, 1000)).toBeLessThan(0.01)
    expect(toneShare(right, 440)).toBeLessThan(0.01)
    // Decoded level matches the sent amplitude (8000 peak → ~5657 RMS) within G.711 quantisation.
    expect(Math.abs(rms(left) - 5657)).toBeLessThan(200)
    expect(Math.abs(rms(right) - 5657)).toBeLessThan(200)
  })

  test('jitter does not move audio, lost packets are silence, a new SSRC is placed at its arrival, DTMF and RTCP are left out', () => {
    const caller = party({ hz: 440, ssrc: 1, src: '10.0.0.2', dstPort: CALLER_PORT, count: 100, jitterMs: (i) => (i % 3) * 7, drop: (i) => i >= 50 && i < 60 })
    // After a re-INVITE the caller's phone sends a new SSRC, 1 s later, at another tone.
    const caller2 = party({ hz: 700, ssrc: 9, src: '10.0.0.2', dstPort: CALLER_PORT, count: 50, startMs: 3000 })
    const dtmf = { ...caller[0]!, at: T0 + 500, payload: (() => { const p = toneRtp({ hz: 440, seq: 999, ssrc: 1 }); p[1] = 101; return p })() }
    const rtcp = { ...caller[0]!, at: T0 + 600, dstPort: CALLER_PORT + 1, srcPort: 5001, payload: new Uint8Array([0x80, 200, 0, 6, 0, 0, 0, 1, ...new Array(20).fill(0)]) }
    const callee = party({ hz: 1000, ssrc: 2, src: '10.0.0.3', dstPort: CALLEE_PORT, count: 200 })
    const records = [...caller, ...caller2, ...callee, dtmf, rtcp].sort((a, b) => a.at - b.at)
    const r = rtpToWav(readUdpDatagrams(writePcap(records)), parseRtpengineMetadata(META))
    expect(r.ignored).toBe(2)
    expect(r.durationMs).toBe(4000)
    const [left, right] = readPcmWav(r.wav).channels as [Int16Array, Int16Array]
    expect(dominantTone(seconds(left, 0, 1), [440, 700, 1000]).hz).toBe(440)
    expect(rms(seconds(left, 1.0, 1.2))).toBe(0) // packets 50–59 were lost
    expect(rms(seconds(left, 2.0, 3.0))).toBe(0) // nothing sent
    expect(dominantTone(seconds(left, 3, 4), [440, 700, 1000]).hz).toBe(700)
    expect(dominantTone(right, [440, 700, 1000]).hz).toBe(1000)
    // Jittered arrival, yet the 440 Hz tone is continuous: one packet's samples follow the last.
    expect(toneShare(seconds(left, 0, 0.96), 440)).toBeGreaterThan(0.45)
  })

  test('start, end and an overlay (the notice) mixed into both channels at its offset', () => {
    const records = [...party({ hz: 440, ssrc: 1, src: '10.0.0.2', dstPort: CALLER_PORT, count: 100, startMs: 1000 }), ...party({ hz: 1000, ssrc: 2, src: '10.0.0.3', dstPort: CALLEE_PORT, count: 100, startMs: 1000 })]
    const notice = Int16Array.from({ length: 4000 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 2000 * i) / 8000)))
    const r = rtpToWav(readUdpDatagrams(writePcap(records)), parseRtpengineMetadata(META), { startMs: T0, endMs: T0 + 3500, overlays: [{ samples: notice, atMs: 100 }] })
    expect(r.durationMs).toBe(3500)
    const [left, right] = readPcmWav(r.wav).channels as [Int16Array, Int16Array]
    for (const ch of [left, right]) {
      expect(dominantTone(seconds(ch, 0.1, 0.6), [440, 1000, 2000]).hz).toBe(2000)
      expect(rms(seconds(ch, 0.7, 1.0))).toBe(0)
    }
    expect(dominantTone(seconds(left, 1, 3), [440, 1000, 2000]).hz).toBe(440)
    expect(dominantTone(seconds(right, 1, 3), [440, 1000, 2000]).hz).toBe(1000)
  })

  test('without metadata the first port heard is the caller; a truncated last record is dropped; pcapng is refused', () => {
    const records = [...party({ hz: 440, ssrc: 1, src: '10.0.0.2', dstPort: 7000, count: 50 }), ...party({ hz: 1000, ssrc: 2, src: '10.0.0.3', dstPort: 7002, count: 50, startMs: 5 })].sort((a, b) => a.at - b.at)
    const pcap = writePcap(records)
    const datagrams = readUdpDatagrams(pcap.subarray(0, pcap.byteLength - 10))
    expect(datagrams).toHaveLength(99)
    const [left, right] = readPcmWav(rtpToWav(datagrams, {}).wav).channels as [Int16Array, Int16Array]
    expect(dominantTone(left, [440, 1000]).hz).toBe(440)
    expect(dominantTone(right, [440, 1000]).hz).toBe(1000)
    expect(() => readUdpDatagrams(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(24).fill(0)]))).toThrow(PcapFormatError)
    expect(() => readUdpDatagrams(new Uint8Array(30))).toThrow(PcapFormatError)
  })
})
