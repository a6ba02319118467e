/**
 * A media party for tests: one RTP and one RTCP UDP socket on a loopback address of its own
 * (127.0.0.2, 127.0.0.3, …), sending PCMU RTP at a fixed rate and RTCP SR+SDES with a CNAME we
 * choose (a phone number, to prove it never reaches the other side), and recording what arrives.
 */
import type { udp } from 'bun'

export interface Received {
  at: number
  from: string
  data: Uint8Array
}

export interface RtpParty {
  address: string
  rtpPort: number
  rtcpPort: number
  rtp: Received[]
  rtcp: Received[]
  /** An SDP offer/answer naming this party's sockets (and carrying identity attributes to be stripped). */
  sdp(opts?: { identity?: string; direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'; version?: number }): string
  /** Sends `count` RTP packets at `pps` to host:port; resolves when all are sent. */
  sendRtp(host: string, port: number, count: number, pps?: number): Promise<void>
  /** Starts sending RTP at `pps` until stop() (for long runs); returns a stopper. */
  streamRtp(host: string, port: number, pps: number): { stop(): void; sent(): number }
  sendRtcp(host: string, port: number, cname: string): void
  /** Sends raw bytes from the RTP socket (RFC 4733 events, prebuilt packets). */
  sendRaw(host: string, port: number, data: Uint8Array): void
  /** This party's SSRC and next RTP sequence number (for packets built outside). */
  ssrc: number
  nextSeq(): number
  /**
   * Answers every RTCP sender report that arrives with a receiver report about its media (last
   * SR and delay since it, so the sender can compute the round trip) and SDES CNAME `cname`.
   */
  answerSenderReports(cname: string): void
  close(): void
}

export const SSRC_BASE = 0x10203040

/** RTP header (12 bytes) + 160 bytes of PCMU silence, with a send timestamp in the payload. */
export function rtpPacket(ssrc: number, seq: number, sentAtMs: number): Uint8Array {
  const b = new Uint8Array(172)
  const v = new DataView(b.buffer)
  v.setUint8(0, 0x80)
  v.setUint8(1, 0) // PT 0 (PCMU)
  v.setUint16(2, seq & 0xffff)
  v.setUint32(4, (seq * 160) >>> 0)
  v.setUint32(8, ssrc >>> 0)
  b.fill(0xff, 12)
  v.setFloat64(12, sentAtMs)
  return b
}

/** RTCP compound: an SR with no report blocks, then SDES with CNAME. */
export function rtcpPacket(ssrc: number, cname: string): Uint8Array {
  const name = new TextEncoder().encode(cname)
  const sr = new Uint8Array(28)
  const sv = new DataView(sr.buffer)
  sv.setUint8(0, 0x80)
  sv.setUint8(1, 200)
  sv.setUint16(2, 6)
  sv.setUint32(4, ssrc >>> 0)
  // chunk: ssrc(4) + type(1) + len(1) + name + end(1), padded to 4
  const chunkLen = Math.ceil((4 + 2 + name.length + 1) / 4) * 4
  const sdes = new Uint8Array(4 + chunkLen)
  const dv = new DataView(sdes.buffer)
  dv.setUint8(0, 0x81)
  dv.setUint8(1, 202)
  dv.setUint16(2, sdes.length / 4 - 1)
  dv.setUint32(4, ssrc >>> 0)
  sdes[8] = 1
  sdes[9] = name.length
  sdes.set(name, 10)
  const out = new Uint8Array(sr.length + sdes.length)
  out.set(sr)
  out.set(sdes, sr.length)
  return out
}

/** An RR with one report block answering `sr` (an SR as received), then SDES with CNAME. */
export function receiverReport(ownSsrc: number, sr: Uint8Array, cname: string, receivedAt: number, now: number, highestSeq: number): Uint8Array | undefined {
  const v = new DataView(sr.buffer, sr.byteOffset, sr.byteLength)
  if (sr.length < 28 || (sr[0]! & 0xc0) !== 0x80 || sr[1] !== 200) return undefined
  const source = v.getUint32(4)
  const lsr = v.getUint32(10) // the middle 32 bits of the SR's NTP timestamp
  const rr = new Uint8Array(32)
  const w = new DataView(rr.buffer)
  w.setUint8(0, 0x81)
  w.setUint8(1, 201)
  w.setUint16(2, 7)
  w.setUint32(4, ownSsrc >>> 0)
  w.setUint32(8, source)
  w.setUint32(12, 0) // fraction lost 0, cumulative lost 0
  w.setUint32(16, highestSeq >>> 0)
  w.setUint32(20, 8) // interarrival jitter, timestamp units (1 ms at 8 kHz)
  w.setUint32(24, lsr)
  w.setUint32(28, Math.round(((now - receivedAt) / 1000) * 65536))
  const sdes = rtcpPacket(ownSsrc, cname).subarray(28)
  const out = new Uint8Array(rr.length + sdes.length)
  out.set(rr)
  out.set(sdes, rr.length)
  return out
}

export function contains(hay: Uint8Array, needle: string): boolean {
  return Buffer.from(hay).includes(Buffer.from(needle))
}

export async function rtpParty(address: string): Promise<RtpParty> {
  const rtp: Received[] = []
  const rtcp: Received[] = []
  let srCname: string | undefined
  const handler = (into: Received[]) => ({
    data(s: udp.Socket<'uint8array'>, data: Uint8Array, port: number, addr: string) {
      const at = performance.now()
      into.push({ at, from: `${addr}:${port}`, data: new Uint8Array(data) })
      if (into === rtcp && srCname !== undefined) {
        const highest = rtp.length ? new DataView(rtp.at(-1)!.data.buffer).getUint16(2) : 0
        const rr = receiverReport(ssrc, data, srCname, at, performance.now(), highest)
        if (rr) s.send(rr, port, addr)
      }
    },
  })
  // RTP on an even port, RTCP on the next one (what an SDP without a=rtcp implies).
  let rtpSock: udp.Socket<'uint8array'> | undefined
  let rtcpSock: udp.Socket<'uint8array'> | undefined
  for (let i = 0; i < 50 && !rtcpSock; i++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 4999)
    try {
      rtpSock = await Bun.udpSocket({ hostname: address, port, binaryType: 'uint8array', socket: handler(rtp) })
      rtcpSock = await Bun.udpSocket({ hostname: address, port: port + 1, binaryType: 'uint8array', socket: handler(rtcp) })
    } catch {
      rtpSock?.close()
      rtpSock = undefined
    }
  }
  if (!rtpSock || !rtcpSock) throw new Error(`no free RTP port pair on ${address}`)
  const r = rtpSock
  const c = rtcpSock
  const ssrc = (SSRC_BASE + Number(address.split('.').pop())) >>> 0
  let seq = 0
  return {
    address,
    rtpPort: r.port,
    rtcpPort: c.port,
    rtp,
    rtcp,
    sdp({ identity, direction = 'sendrecv', version = 1 } = {}) {
      const who = identity ?? `sip:party@${address}`
      return [
        'v=0',
        `o=${identity ?? 'party'} 4242 ${version} IN IP4 ${address}`,
        `s=${identity ?? 'party'} session`,
        `i=${identity ?? 'party'}`,
        `c=IN IP4 ${address}`,
        't=0 0',
        `m=audio ${r.port} RTP/AVP 0 101`,
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        `a=ssrc:${ssrc} cname:${who}`,
        `a=ssrc:${ssrc} msid:${who} audio`,
        `a=ssrc:${ssrc} label:${who}`,
        `a=msid-semantic: WMS ${who}`,
        `a=label:${who}`,
        `a=tool:${who}`,
        `a=${direction}`,
        '',
      ].join('\r\n')
    },
    async sendRtp(host, port, count, pps = 50) {
      const gap = 1000 / pps
      const start = performance.now()
      for (let i = 0; i < count; i++) {
        r.send(rtpPacket(ssrc, seq++, performance.now()), port, host)
        const wait = start + (i + 1) * gap - performance.now()
        if (wait > 0) await Bun.sleep(wait)
      }
    },
    streamRtp(host, port, pps) {
      let sent = 0
      const t = setInterval(() => {
        r.send(rtpPacket(ssrc, seq++, performance.now()), port, host)
        sent++
      }, 1000 / pps)
      return { stop: () => clearInterval(t), sent: () => sent }
    },
    sendRtcp(host, port, cname) {
      c.send(rtcpPacket(ssrc, cname), port, host)
    },
    answerSenderReports(cname) {
      srCname = cname
    },
    sendRaw(host, port, data) {
      r.send(data, port, host)
    },
    ssrc,
    nextSeq: () => seq++,
    close() {
      r.close()
      c.close()
    },
  }
}

/** The c= address and m=audio port of an SDP. */
export function mediaOf(sdp: string): { address: string; port: number; rtcpPort: number } {
  const address = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1] ?? ''
  const port = Number(/^m=audio (\d+)/m.exec(sdp)?.[1] ?? 0)
  const rtcpPort = Number(/^a=rtcp:(\d+)/m.exec(sdp)?.[1] ?? port + 1)
  return { address, port, rtcpPort }
}
