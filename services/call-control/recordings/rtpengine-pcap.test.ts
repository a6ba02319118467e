/**
 * The converter on a real capture: rtpengine (`--recording-method=pcap`) records a call started
 * with `record call` in the offer, while two UDP parties send distinct G.711 tones through it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { udp } from 'bun'
import { dominantTone, toneRtp, toneShare } from '../../../tests/support/audio'
import { removeRtpengine, rtpengineMissing, startRtpengine, type Rtpengine } from '../../../tests/support/rtpengine'
import { createLogger } from '../../../shared/log'
import { PLACEHOLDER_SDP, RtpengineMediaPlane } from '../../../shared/media/call-media'
import { RtpenginePool } from '../../../shared/media/rtpengine-pool'
import { readUdpDatagrams } from './pcap-reader'
import { parseRtpengineMetadata } from './rtpengine-metadata'
import { readPcmWav, rtpToWav } from './rtp-to-wav'

const skip = rtpengineMissing('services/call-control/recordings/rtpengine-pcap.test.ts')

describe.skipIf(skip)('converter on a pcap written by rtpengine', () => {
  let rtpengine: Rtpengine
  let dir: string
  const sockets: udp.Socket<'buffer'>[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rec-pcap-'))
    rtpengine = await startRtpengine({ extra: [`--recording-dir=${dir}`, '--recording-method=pcap'] })
  })
  afterAll(async () => {
    for (const s of sockets) s.close()
    await removeRtpengine(rtpengine)
    rmSync(dir, { recursive: true, force: true })
  })

  test('two parties, 440 Hz and 1000 Hz for 3 s: a stereo WAV with one tone per channel and the call duration', async () => {
    const a = await Bun.udpSocket({ hostname: '127.0.0.2', port: 0 })
    const b = await Bun.udpSocket({ hostname: '127.0.0.3', port: 0 })
    sockets.push(a, b)
    const sdp = (ip: string, port: number) => `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n`
    const callId = `rec-${process.pid}`
    const offer = await rtpengine.client.offer({ 'call-id': callId, 'from-tag': 'caller', sdp: sdp('127.0.0.2', a.port), 'record call': 'yes', ICE: 'remove' })
    const answer = await rtpengine.client.answer({ 'call-id': callId, 'from-tag': 'caller', 'to-tag': 'callee', sdp: sdp('127.0.0.3', b.port), ICE: 'remove' })
    const port = (s: string) => Number(/m=audio (\d+)/.exec(s)![1])
    const callerSendsTo = port(answer.sdp)
    const calleeSendsTo = port(offer.sdp)
    const t0 = performance.now()
    const packets = 150
    for (let i = 0; i < packets; i++) {
      a.send(toneRtp({ hz: 440, seq: i, ssrc: 0x1111 }), callerSendsTo, '127.0.0.1')
      b.send(toneRtp({ hz: 1000, seq: i, ssrc: 0x2222, pt: 8 }), calleeSendsTo, '127.0.0.1')
      const wait = t0 + (i + 1) * 20 - performance.now()
      if (wait > 0) await Bun.sleep(wait)
    }
    await rtpengine.client.delete({ 'call-id': callId })
    // rtpengine closes the files when the call is gone (delete-delay 0): wait for the metadata's end line.
    const metaDir = join(dir, 'metadata')
    let metaText = ''
    for (let i = 0; i < 100 && !/call end time/.test(metaText); i++) {
      await Bun.sleep(50)
      const f = readdirSync(metaDir).find((n) => n.includes(callId))
      metaText = f ? readFileSync(join(metaDir, f), 'utf8') : ''
    }
    const meta = parseRtpengineMetadata(metaText)
    expect(meta.offerPort).toBe(calleeSendsTo)
    expect(meta.answerPort).toBe(callerSendsTo)
    const pcap = readFileSync(meta.pcapPath!)
    const r = rtpToWav(readUdpDatagrams(new Uint8Array(pcap)), meta)
    expect(r.packets).toEqual([packets, packets])
    // 150 packets of 20 ms, sent on a busy machine: the timeline is RTP time, so 3 s within a packet.
    expect(Math.abs(r.durationMs - 3000)).toBeLessThanOrEqual(40)
    const [left, right] = readPcmWav(r.wav).channels as [Int16Array, Int16Array]
    expect(dominantTone(left, [440, 1000]).hz).toBe(440)
    expect(dominantTone(right, [440, 1000]).hz).toBe(1000)
    expect(toneShare(left, 440)).toBeGreaterThan(0.4)
    expect(toneShare(right, 1000)).toBeGreaterThan(0.4)
  })

  test('a PIN call: recording starts with the offer to the callee, after PIN entry; the WAV has both parties and nothing from before', async () => {
    const log = createLogger({ level: 'silent' })
    const pool = new RtpenginePool([rtpengine.url], { timeoutMs: 1000, pingIntervalMs: 60_000, log })
    await pool.start()
    const a = await Bun.udpSocket({ hostname: '127.0.0.2', port: 0 })
    const b = await Bun.udpSocket({ hostname: '127.0.0.3', port: 0 })
    sockets.push(a, b)
    const sdp = (ip: string, port: number) => `v=0\r\no=- 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n`
    const port = (s: string) => Number(/m=audio (\d+)/.exec(s)![1])
    const started: string[] = []
    try {
      const media = await new RtpengineMediaPlane(pool, `cc-${process.pid}`, log).open('call_pin')
      // Answered by us: the caller's offer, our placeholder under the callee's tag (runAnsweredInbound).
      await media.offer('caller', sdp('127.0.0.2', a.port))
      const toCaller = await media.answer('callee', PLACEHOLDER_SDP)
      const callerSendsTo = port(toCaller)
      // PIN entry: the caller sends (a 2000 Hz stand-in for its audio and digits); nothing records it.
      for (let i = 0; i < 25; i++) {
        a.send(toneRtp({ hz: 2000, seq: i, ssrc: 0x1111 }), callerSendsTo, '127.0.0.1')
        await Bun.sleep(20)
      }
      expect(readdirSync(dir).includes('metadata') ? readdirSync(join(dir, 'metadata')).filter((n) => n.includes('call_pin')) : []).toEqual([])
      // The PIN named a record: true session: the offer to the callee starts the recording.
      media.recordFromNextOffer({ noticeFile: '/nonexistent.wav', started: (_rtpe, id) => void started.push(id), answered() {}, ended() {} })
      const toCallee = await media.offer('caller', sdp('127.0.0.2', a.port))
      await media.answer('callee', sdp('127.0.0.3', b.port))
      expect(started).toEqual([media.mediaCallId])
      const calleeSendsTo = port(toCallee)
      const t0 = performance.now()
      const packets = 100
      for (let i = 0; i < packets; i++) {
        // Same SSRC and sequence on from the PIN entry: the caller's stream simply goes on.
        a.send(toneRtp({ hz: 440, seq: 25 + i, ssrc: 0x1111 }), callerSendsTo, '127.0.0.1')
        b.send(toneRtp({ hz: 1000, seq: i, ssrc: 0x2222, pt: 8 }), calleeSendsTo, '127.0.0.1')
        const wait = t0 + (i + 1) * 20 - performance.now()
        if (wait > 0) await Bun.sleep(wait)
      }
      await media.end()
      const metaDir = join(dir, 'metadata')
      let metaText = ''
      for (let i = 0; i < 100 && !/call end time/.test(metaText); i++) {
        await Bun.sleep(50)
        const f = readdirSync(metaDir).find((n) => n.includes('call_pin'))
        metaText = f ? readFileSync(join(metaDir, f), 'utf8') : ''
      }
      const meta = parseRtpengineMetadata(metaText)
      // Port latching: the ports the metadata names are the ones the parties use.
      expect(meta.offerPort).toBe(calleeSendsTo)
      expect(meta.answerPort).toBe(callerSendsTo)
      const r = rtpToWav(readUdpDatagrams(new Uint8Array(readFileSync(meta.pcapPath!))), meta)
      expect(r.packets).toEqual([packets, packets])
      const [left, right] = readPcmWav(r.wav).channels as [Int16Array, Int16Array]
      expect(dominantTone(left, [440, 1000, 2000]).hz).toBe(440)
      expect(dominantTone(right, [440, 1000, 2000]).hz).toBe(1000)
      expect(toneShare(left, 2000)).toBeLessThan(0.05) // nothing of the PIN entry
    } finally {
      pool.stop()
    }
  })
})
