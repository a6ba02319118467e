/**
 * Call recording end to end: a session with `record: true`; the driver (127.0.0.2) calls the
 * masked number through a real drachtio-server, the customer (127.0.0.3, the trunk) answers; the
 * call is anchored on a real rtpengine recording with the `pcap` method; both hear the recording
 * notice, then each sends its own tone (driver 440 Hz, customer 1000 Hz) until the driver hangs
 * up. call-control's recordings worker converts the pcap: the WAV downloaded through the API has
 * two channels, each with its party's tone, the call's duration within 100 ms, the notice at its
 * start on both channels, and the pcap is gone.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/recording.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { udp } from 'bun'
import { sql } from 'drizzle-orm'
import type { ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { readPcmWav } from '../../shared/audio/pcm-wav'
import { decodeG711 } from '../../shared/audio/g711'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { dominantTone, toneRtp, toneShare } from '../support/audio'
import { client, createTenant, type Client } from '../support/http'
import { mediaOf } from '../support/rtp-party'
import { removeRtpengine, startRtpengine, type Rtpengine } from '../support/rtpengine'
import { SipUa } from '../support/sip-ua'
import { freeUdpPort, startSipPlatform, tempDir, warnIfSkipped, type SipPlatform } from './support'

const skip = warnIfSkipped('tests/sip/recording.test.ts')

const MASKED = '+12025550100'
const PIN_MASKED = '+12025550101' // carries a PIN session with record: true
const STRANGER = '+14155550999'
const DRIVER = '+14155550001'
const CUSTOMER = '+14155550002'
const DRIVER_ADDR = '127.0.0.2'
const CUSTOMER_ADDR = '127.0.0.3'

let sip: SipPlatform
let http: Client
let tenant: { tenantId: string; key: string }
let rtpe: Rtpengine
let driverUa: SipUa
let customerUa: SipUa
let work: ReturnType<typeof tempDir>
const sockets: udp.Socket<'buffer'>[] = []

async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)?.slice(0, 500)}`)
    await Bun.sleep(50)
  }
}

const sdpFor = (address: string, port: number) =>
  `v=0\r\no=- 1 1 IN IP4 ${address}\r\ns=-\r\nc=IN IP4 ${address}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`

/** Pearson correlation of two equally long stretches. */
function correlation(x: Int16Array, y: Int16Array): number {
  const n = Math.min(x.length, y.length)
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0
  for (let i = 0; i < n; i++) {
    const a = x[i]!, b = y[i]!
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b
  }
  const cov = sxy - (sx * sy) / n
  return cov / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n))
}

describe.skipIf(skip)('call recording through drachtio-server and rtpengine', () => {
  beforeAll(async () => {
    work = tempDir('sip-recording')
    const recordingDir = join(work.dir, 'rtpengine-recordings')
    mkdirSync(recordingDir, { recursive: true })
    const dtmfPort = await freeUdpPort()
    rtpe = await startRtpengine({ extra: [`--recording-dir=${recordingDir}`, '--recording-method=pcap', `--dtmf-log-dest=127.0.0.1:${dtmfPort}`] })
    customerUa = await SipUa.start(CUSTOMER_ADDR)
    driverUa = await SipUa.start(DRIVER_ADDR)
    sip = await startSipPlatform('sip-recording', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      RTPENGINE_URLS: rtpe.url,
      SIP_OUTBOUND_TRUNK: `${CUSTOMER_ADDR}:${customerUa.port}`,
      SIP_TRUSTED_SOURCES: '127.0.0.0/8',
      DEFAULT_REGION: 'US',
      PROMPTS_DIR: join(work.dir, 'prompts'),
      RECORDINGS_KEY: randomBytes(32).toString('base64'),
      RECORDINGS_FS_DIR: join(work.dir, 'store'),
      RECORDING_DIR: recordingDir,
      DTMF_EVENTS_LISTEN: `127.0.0.1:${dtmfPort}`,
    })
    http = client(sip.tp.baseUrl)
    tenant = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
    expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers: [MASKED, PIN_MASKED] } })).status).toBe(200)
    for (const n of [MASKED, PIN_MASKED]) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: tenant.tenantId } })).status).toBe(200)
  }, 120_000)

  afterAll(async () => {
    for (const s of sockets) s.close()
    driverUa?.close()
    customerUa?.close()
    await sip?.stop()
    await removeRtpengine(rtpe)
    work?.remove()
  }, 60_000)

  test('a recorded call: a stereo WAV with each party on its channel, the call duration, the notice first; the pcap gone', async () => {
    const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, record: true } })
    expect(s.status).toBe(200)
    expect(s.body.record).toBe(true)
    // What each party hears: the RTP payloads it receives, in arrival order.
    const heard = { driver: [] as Uint8Array[], customer: [] as Uint8Array[] }
    const driver = await Bun.udpSocket({ hostname: DRIVER_ADDR, port: 0, socket: { data: (_s, buf) => void heard.driver.push(new Uint8Array(buf).slice(12)) } })
    const customer = await Bun.udpSocket({ hostname: CUSTOMER_ADDR, port: 0, socket: { data: (_s, buf) => void heard.customer.push(new Uint8Array(buf).slice(12)) } })
    sockets.push(driver, customer)

    const invited = customerUa.nextInvite()
    const placing = driverUa.invite({ address: '127.0.0.1', port: sip.dr.sipPort }, `sip:${MASKED}@127.0.0.1:${sip.dr.sipPort}`, { from: DRIVER, sdp: sdpFor(DRIVER_ADDR, driver.port) })
    const inv = await invited
    inv.ringing()
    const calleeDialog = await inv.answer(sdpFor(CUSTOMER_ADDR, customer.port))
    const callerDialog = await placing
    const toRtpengineFromDriver = mediaOf(callerDialog.lastSdp)
    const toRtpengineFromCustomer = mediaOf(calleeDialog.lastSdp)

    // Each party talks (its tone) for 6 s, paced by the clock, then the driver hangs up.
    const seconds = 6
    const t0 = performance.now()
    for (let i = 0; i < seconds * 50; i++) {
      driver.send(toneRtp({ hz: 440, seq: i, ssrc: 0xd1 }), toRtpengineFromDriver.port, toRtpengineFromDriver.address)
      customer.send(toneRtp({ hz: 1000, seq: i, ssrc: 0xc1 }), toRtpengineFromCustomer.port, toRtpengineFromCustomer.address)
      const wait = t0 + (i + 1) * 20 - performance.now()
      if (wait > 0) await Bun.sleep(wait)
    }
    await callerDialog.bye()

    // Both heard the notice first (not the other's tone), then the other party.
    const decoded = (payloads: Uint8Array[], from: number, to: number) => {
      const out = new Int16Array((to - from) * 160)
      payloads.slice(from, to).forEach((p, i) => decodeG711('pcmu', p.subarray(0, 160), out, i * 160))
      return out
    }
    for (const [who, other] of [['driver', 1000], ['customer', 440]] as const) {
      const got = heard[who]
      expect(got.length).toBeGreaterThan(250)
      expect(toneShare(decoded(got, 25, 125), other)).toBeLessThan(0.05) // 0.5–2.5 s: the notice
      expect(toneShare(decoded(got, got.length - 60, got.length - 10), other)).toBeGreaterThan(0.4) // the last second: the other party
    }

    const call = await eventually(
      async () => (await http.get(`/v1/calls?session_id=${s.body.id}&limit=1`, { key: tenant.key })).body.items?.[0],
      (c) => !!c?.ended_at,
      'the call record to end',
    )
    const rec = await eventually(
      async () => (await http.get(`/v1/calls/${call.id}/recording`, { key: tenant.key })).body,
      (r) => r?.status === 'ready' || r?.status === 'failed',
      'the recording to be converted',
      60_000,
    )
    expect(rec.status).toBe('ready')
    const callMs = Date.parse(call.ended_at) - Date.parse(call.answered_at)
    expect(Math.abs(rec.duration_ms - callMs)).toBeLessThanOrEqual(100)

    const res = await fetch(`${sip.tp.baseUrl}/v1/recordings/${rec.id}/audio`, { headers: { 'x-api-key': tenant.key } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/wav')
    const wav = readPcmWav(new Uint8Array(await res.arrayBuffer()))
    expect(wav.sampleRate).toBe(8000)
    expect(wav.channels).toHaveLength(2)
    const [left, right] = wav.channels as [Int16Array, Int16Array]
    expect(Math.abs((left.length / 8000) * 1000 - rec.duration_ms)).toBeLessThanOrEqual(1)

    // The notice: played from the answer on, mixed into both channels where it was played.
    const [row] = await sip.tp.platform.database!.rows<{ notice_file: string | null; notice_ms: number | null }>(
      sql`select notice_file, (extract(epoch from notice_at - answered_at) * 1000)::int as notice_ms from calls.recordings where id = ${rec.id}`,
    )
    expect(row!.notice_file).toBeTruthy()
    const notice = readPcmWav(new Uint8Array(readFileSync(row!.notice_file!))).channels[0]!
    const at = Math.round((Number(row!.notice_ms) * 8000) / 1000)
    expect(at).toBeGreaterThanOrEqual(0)
    expect(at).toBeLessThan(4000) // "at its start": within half a second of the answer (the ng round trip to start playing)
    // Each channel is its party's tone plus the notice, so the notice correlates with it where it was
    // played (about its share of the energy), and not half a second off.
    for (const ch of [left, right]) {
      const there = correlation(ch.subarray(at, at + notice.length), notice)
      const off = correlation(ch.subarray(at + 4000, at + 4000 + notice.length), notice)
      expect(there).toBeGreaterThan(0.3)
      expect(there).toBeGreaterThan(4 * Math.abs(off))
    }

    // After the notice, each channel carries its own party's tone (and not the other's).
    const afterNotice = (ch: Int16Array) => ch.subarray(at + notice.length + 800, at + notice.length + 800 + 8000)
    expect(dominantTone(afterNotice(left), [440, 1000]).hz).toBe(440)
    expect(dominantTone(afterNotice(right), [440, 1000]).hz).toBe(1000)
    expect(toneShare(afterNotice(left), 440)).toBeGreaterThan(0.4)
    expect(toneShare(afterNotice(right), 1000)).toBeGreaterThan(0.4)
    expect(toneShare(afterNotice(left), 1000)).toBeLessThan(0.01)
    expect(toneShare(afterNotice(right), 440)).toBeLessThan(0.01)

    // rtpengine's pcap and metadata of the call are gone.
    const recordingDir = sip.tp.env.RECORDING_DIR!
    await eventually(() => ['pcaps', 'metadata'].flatMap((d) => readdirSync(join(recordingDir, d)).filter((n) => n.includes(call.id))), (names) => names.length === 0, 'the pcap to be deleted')
  }, 120_000)

  test('a PIN call to a record: true session is recorded from the bridge: both parties on their channels, nothing of the PIN entry', async () => {
    const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, record: true, pin_required: true, pin_length: 4, masked_e164: PIN_MASKED } })
    expect(s.status).toBe(200)
    const caller = await Bun.udpSocket({ hostname: DRIVER_ADDR, port: 0 })
    const callee = await Bun.udpSocket({ hostname: CUSTOMER_ADDR, port: 0 })
    sockets.push(caller, callee)
    // The caller offers telephone-event too (RFC 4733 digits).
    const offer = sdpFor(DRIVER_ADDR, caller.port).replace('RTP/AVP 0', 'RTP/AVP 0 101') + 'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n'
    const invited = customerUa.nextInvite()
    // Answered by the platform: "please enter your PIN".
    const callerDialog = await driverUa.invite({ address: '127.0.0.1', port: sip.dr.sipPort }, `sip:${PIN_MASKED}@127.0.0.1:${sip.dr.sipPort}`, { from: STRANGER, sdp: offer })
    const to = mediaOf(callerDialog.lastSdp)
    let seq = 0
    const ssrc = 0xd2
    // PIN entry: the caller's audio (2000 Hz) and its digits (the driver's PIN, then #); none of it may be recorded.
    for (let i = 0; i < 25; i++) {
      caller.send(toneRtp({ hz: 2000, seq: seq++, ssrc }), to.port, to.address)
      await Bun.sleep(20)
    }
    let ts = 100_000
    for (const d of `${s.body.driver_pin}#`) {
      const event = '0123456789*#'.indexOf(d)
      ts += 4000
      const pkt = (end: boolean, duration: number, marker: boolean) => {
        const b = new Uint8Array(16)
        const v = new DataView(b.buffer)
        v.setUint8(0, 0x80)
        v.setUint8(1, (marker ? 0x80 : 0) | 101)
        v.setUint16(2, seq++ & 0xffff)
        v.setUint32(4, ts >>> 0)
        v.setUint32(8, ssrc)
        v.setUint8(12, event)
        v.setUint8(13, (end ? 0x80 : 0) | 10)
        v.setUint16(14, duration)
        return b
      }
      for (let i = 0; i < 5; i++) {
        caller.send(pkt(false, 160 * (i + 1), i === 0), to.port, to.address)
        await Bun.sleep(20)
      }
      for (let i = 0; i < 3; i++) caller.send(pkt(true, 800, false), to.port, to.address)
      await Bun.sleep(80)
    }
    // The PIN is the driver's: the customer is rung and answers.
    const inv = await invited
    expect(inv.msg.first).toContain(`sip:${CUSTOMER}@`)
    await inv.answer(sdpFor(CUSTOMER_ADDR, callee.port))
    const toRtpengineFromCustomer = mediaOf(inv.sdp)
    const seconds = 5
    const t0 = performance.now()
    for (let i = 0; i < seconds * 50; i++) {
      caller.send(toneRtp({ hz: 440, seq: seq++, ssrc }), to.port, to.address)
      callee.send(toneRtp({ hz: 1000, seq: i, ssrc: 0xc2 }), toRtpengineFromCustomer.port, toRtpengineFromCustomer.address)
      const wait = t0 + (i + 1) * 20 - performance.now()
      if (wait > 0) await Bun.sleep(wait)
    }
    await callerDialog.bye()

    const call = await eventually(
      async () => (await http.get(`/v1/calls?session_id=${s.body.id}&limit=1`, { key: tenant.key })).body.items?.[0],
      (c) => !!c?.ended_at,
      'the PIN call record to end',
    )
    expect(call).toMatchObject({ from_party: 'driver', to_party: 'customer', status: 'completed' })
    const rec = await eventually(
      async () => (await http.get(`/v1/calls/${call.id}/recording`, { key: tenant.key })).body,
      (r) => r?.status === 'ready' || r?.status === 'failed',
      'the PIN call recording to be converted',
      60_000,
    )
    expect(rec.status).toBe('ready')
    const res = await fetch(`${sip.tp.baseUrl}/v1/recordings/${rec.id}/audio`, { headers: { 'x-api-key': tenant.key } })
    expect(res.status).toBe(200)
    const [left, right] = readPcmWav(new Uint8Array(await res.arrayBuffer())).channels as [Int16Array, Int16Array]
    // About the bridged call (5 s of talk), not the PIN entry before it.
    expect(left.length / 8000).toBeGreaterThan(3)
    expect(left.length / 8000).toBeLessThan(8)
    // The last 2 s: each channel its party's tone; the PIN entry's 2000 Hz nowhere in the caller's channel.
    const tail = (ch: Int16Array) => ch.subarray(ch.length - 16000, ch.length - 800)
    expect(dominantTone(tail(left), [440, 1000, 2000]).hz).toBe(440)
    expect(dominantTone(tail(right), [440, 1000, 2000]).hz).toBe(1000)
    expect(toneShare(left, 2000)).toBeLessThan(0.02)
  }, 120_000)
})
