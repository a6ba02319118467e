/**
 * What callers hear, on the wire: real drachtio-server, real rtpengine (its DTMF events sent to
 * call-control), test parties sending and receiving RTP from their own UDP sockets. The audio a
 * caller receives is decoded (PCMU) and must be speech-loud, not silence, for about the prompt's
 * length; PINs are typed as RFC 4733 events.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/announcements.test.ts
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServiceDefinition } from '../../shared/service'
import { mulawToLinear, pcm16Wav, rms } from '../../shared/prompts/wav'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { client, createTenant, type Client } from '../support/http'
import { mediaOf, rtpParty, type Received, type RtpParty } from '../support/rtp-party'
import { removeRtpengine, startRtpengine, type Rtpengine } from '../support/rtpengine'
import { SipFinal, SipUa, type IncomingInvite, type UaDialog } from '../support/sip-ua'
import { ensureBuiltinPrompts, type BuiltinPromptName } from '../../shared/prompts/builtin'
import { freeUdpPort, startSipPlatform, warnIfSkipped, type SipPlatform } from './support'

const skip = warnIfSkipped('tests/sip/announcements.test.ts')

const NO_SESSION = '+12025550200' // a number of the tenant with no session
const CALLER_ID_NUMBER = '+12025550201' // carries a caller-id session
const PIN_NUMBER = '+12025550202' // carries PIN sessions
const GREETING_NUMBER = '+12025550203'
const LIMIT_NUMBER = '+12025550204'
const PATCH_NUMBER = '+12025550205'
const BUSY_TENANT_NUMBER = '+12025550206' // a direct call that holds the tenant's one call slot
const DRIVER = '+14155550001'
const CUSTOMER = '+14155550002'
const STRANGER = '+14155550999'
const CALLER_ADDR = '127.0.0.2'
const TRUNK_ADDR = '127.0.0.3'

let sip: SipPlatform
let http: Client
let tenant: { tenantId: string; key: string }
let rtpe: Rtpengine
let callerUa: SipUa
let trunkUa: SipUa
let promptsDir: string
/** The built-in prompts call-control generated (read from the same directory, so the same files). */
let builtinMs: (name: BuiltinPromptName) => number
const parties: RtpParty[] = []
const callbacks: { body: any; at: number }[] = []
let receiver: ReturnType<typeof Bun.serve>

async function party(address: string): Promise<RtpParty> {
  const p = await rtpParty(address)
  parties.push(p)
  return p
}

async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)?.slice(0, 300)}`)
    await Bun.sleep(50)
  }
}

const pt = (p: Received) => p.data[1]! & 0x7f
/** The PCMU audio of received packets, as 16-bit samples. */
const samplesOf = (packets: Received[]) => Int16Array.from(packets.filter((p) => pt(p) === 0).flatMap((p) => [...p.data.subarray(12)].map(mulawToLinear)))

/** One RFC 4733 packet (telephone-event, PT 101). */
function dtmfPacket(ssrc: number, seq: number, ts: number, event: number, end: boolean, duration: number, marker: boolean): Uint8Array {
  const b = new Uint8Array(16)
  const v = new DataView(b.buffer)
  v.setUint8(0, 0x80)
  v.setUint8(1, (marker ? 0x80 : 0) | 101)
  v.setUint16(2, seq & 0xffff)
  v.setUint32(4, ts >>> 0)
  v.setUint32(8, ssrc >>> 0)
  v.setUint8(12, event)
  v.setUint8(13, (end ? 0x80 : 0) | 10)
  v.setUint16(14, duration)
  return b
}

let tsBase = 1_000_000
/** Types `digits` as RFC 4733 events (each 100 ms, end packet sent three times, as phones do). */
async function typeDigits(p: RtpParty, to: { address: string; port: number }, digits: string): Promise<void> {
  for (const d of digits) {
    const event = '0123456789*#'.indexOf(d)
    const ts = (tsBase += 4000)
    for (let i = 0; i < 5; i++) {
      p.sendRaw(to.address, to.port, dtmfPacket(p.ssrc, p.nextSeq(), ts, event, false, 160 * (i + 1), i === 0))
      await Bun.sleep(20)
    }
    for (let i = 0; i < 3; i++) p.sendRaw(to.address, to.port, dtmfPacket(p.ssrc, p.nextSeq(), ts, event, true, 800, false))
    await Bun.sleep(80)
  }
}

/** A call from `from` to `to`; resolves with the answered dialog (or the SIP refusal). */
function dial(to: string, from: string, a: RtpParty): Promise<UaDialog> {
  return callerUa.invite({ address: '127.0.0.1', port: sip.dr.sipPort }, `sip:${to}@127.0.0.1:${sip.dr.sipPort}`, { from, sdp: a.sdp() })
}

/** Audio to rtpengine so it knows the caller's address (and a first digit is never lost). */
async function primeMedia(a: RtpParty, d: UaDialog) {
  const to = mediaOf(d.lastSdp)
  await a.sendRtp(to.address, to.port, 10, 100)
  return to
}

async function lastCalls(n = 20) {
  return (await http.get(`/v1/calls?limit=${n}`, { key: tenant.key })).body.items as any[]
}

/** Received audio in bursts: the spans (ms) between gaps longer than `gapMs`. */
function spans(packets: Received[], gapMs = 300): { start: number; end: number; count: number }[] {
  const out: { start: number; end: number; count: number }[] = []
  for (const p of packets.filter((x) => pt(x) === 0)) {
    const last = out.at(-1)
    if (last && p.at - last.end <= gapMs) {
      last.end = p.at
      last.count++
    } else out.push({ start: p.at, end: p.at, count: 1 })
  }
  return out
}

describe.skipIf(skip)('callers hear something (rtpengine play media, RFC 4733 PINs)', () => {
  beforeAll(async () => {
    promptsDir = mkdtempSync(join(tmpdir(), 'sip-prompts-'))
    const dtmfPort = await freeUdpPort()
    rtpe = await startRtpengine({ extra: [`--dtmf-log-dest=127.0.0.1:${dtmfPort}`] })
    callerUa = await SipUa.start(CALLER_ADDR)
    trunkUa = await SipUa.start(TRUNK_ADDR)
    receiver = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: async (req) => {
        callbacks.push({ body: await req.json(), at: Date.now() })
        return new Response('ok')
      },
    })
    sip = await startSipPlatform('sip-announcements', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      RTPENGINE_URLS: rtpe.url,
      DTMF_EVENTS_LISTEN: `127.0.0.1:${dtmfPort}`,
      PROMPTS_DIR: promptsDir,
      PIN_FIRST_DIGIT_S: '8',
      PIN_INTER_DIGIT_S: '3',
      SIP_OUTBOUND_TRUNK: `${TRUNK_ADDR}:${trunkUa.port}`,
      SIP_TRUSTED_SOURCES: '127.0.0.0/8',
      CALLBACK_ALLOW_PRIVATE: 'true',
      DEFAULT_REGION: 'US',
      // One live call per tenant: the tests place one call at a time, except the limit test.
      TENANT_MAX_CONCURRENT_CALLS: '1',
    })
    http = client(sip.tp.baseUrl)
    const builtin = await ensureBuiltinPrompts(promptsDir)
    builtinMs = (name) => builtin.get(name)!.durationMs
    tenant = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
    const numbers = [NO_SESSION, CALLER_ID_NUMBER, PIN_NUMBER, GREETING_NUMBER, LIMIT_NUMBER, PATCH_NUMBER, BUSY_TENANT_NUMBER]
    expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers } })).status).toBe(200)
    for (const n of numbers) expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: tenant.tenantId } })).status).toBe(200)
  }, 90_000)

  afterEach(async () => {
    setSystemTime()
    for (const p of parties.splice(0)) p.close()
    await eventually(() => rtpe.calls(), (ids) => ids.length === 0, 'rtpengine to hold no call')
  })

  afterAll(async () => {
    callerUa?.close()
    trunkUa?.close()
    receiver?.stop(true)
    await sip?.stop()
    await removeRtpengine(rtpe)
    if (promptsDir) rmSync(promptsDir, { recursive: true, force: true })
  }, 60_000)

  test('by default an unmatched caller still gets the SIP refusal (404 no session)', async () => {
    const a = await party(CALLER_ADDR)
    const r = await dial(NO_SESSION, STRANGER, a).then(
      () => 0,
      (e) => (e instanceof SipFinal ? e.status : -1),
    )
    expect(r).toBe(404)
    expect(a.rtp.length).toBe(0)
  }, 30_000)

  test('no open session: the tenant’s prompt arrives as audio for about its length, then the call ends; the record and call.unmatched say so', async () => {
    const set = await http.patch('/v1/settings', { key: tenant.key, body: { no_session_prompt: 'builtin:session_ended', unmatched_callback_url: `http://127.0.0.1:${receiver.port}/unmatched` } })
    expect(set.status).toBe(200)
    const expected = builtinMs('session_ended')
    const a = await party(CALLER_ADDR)
    const d = await dial(NO_SESSION, STRANGER, a)
    await primeMedia(a, d)
    await d.ended // the platform hangs up after the prompt
    expect(d.requests.at(-1)).toBe('BYE')
    const audio = a.rtp.filter((p) => pt(p) === 0)
    // About the prompt's length (20 ms per packet), and speech, not silence.
    expect(audio.length * 20).toBeGreaterThan(expected * 0.8)
    expect(audio.length * 20).toBeLessThan(expected * 1.3)
    expect(rms(samplesOf(audio))).toBeGreaterThan(300)

    const rec = await eventually(lastCalls, (items) => items.some((c) => c.end_reason === 'unmatched_no_session'), 'the unmatched call record')
    expect(rec.find((c) => c.end_reason === 'unmatched_no_session')).toMatchObject({
      session_id: null,
      status: 'completed',
      direction: 'inbound',
      from_phone: STRANGER,
      to_phone: null,
      masked_e164: NO_SESSION,
    })
    const cb = await eventually(() => callbacks, (c) => c.some((x) => x.body.event === 'call.unmatched'), 'the call.unmatched callback')
    expect(cb.find((x) => x.body.event === 'call.unmatched')!.body).toMatchObject({ event: 'call.unmatched', from_phone: STRANGER, masked_e164: NO_SESSION, reason: 'unmatched_no_session' })
  }, 60_000)

  test('not a party: the tenant’s own uploaded prompt plays (decoded: a 1.5 s tone), then the call ends', async () => {
    const tone = Int16Array.from({ length: 12_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)))
    const up = await fetch(`${sip.tp.baseUrl}/v1/prompts?name=not-yours`, { method: 'POST', headers: { 'x-api-key': tenant.key, 'content-type': 'audio/wav' }, body: pcm16Wav(tone, 8000) })
    const prompt = (await up.json()) as { id: string }
    expect(up.status).toBe(200)
    expect((await http.patch('/v1/settings', { key: tenant.key, body: { not_a_party_prompt: prompt.id } })).status).toBe(200)
    expect((await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: CALLER_ID_NUMBER } })).status).toBe(200)

    const a = await party(CALLER_ADDR)
    const d = await dial(CALLER_ID_NUMBER, STRANGER, a)
    await primeMedia(a, d)
    await d.ended
    const audio = a.rtp.filter((p) => pt(p) === 0)
    expect(audio.length * 20).toBeGreaterThan(1500 * 0.8)
    expect(audio.length * 20).toBeLessThan(1500 * 1.3)
    expect(rms(samplesOf(audio))).toBeGreaterThan(3000) // the tone at 8000 peak: ~5600 RMS, minus µ-law and any ramp
    await eventually(lastCalls, (items) => items.some((c) => c.end_reason === 'unmatched_not_a_party'), 'the not-a-party record')
  }, 60_000)

  test('a PIN typed as RFC 4733 bridges to the other party of its session; the callee never receives the digits', async () => {
    const s1 = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: '+14155550011', customer_phone: '+14155550012', pin_required: true, pin_length: 4, masked_e164: PIN_NUMBER } })).body
    expect(s1.driver_pin).toMatch(/^\d{4}$/)
    const a = await party(CALLER_ADDR)
    const b = await party(TRUNK_ADDR)
    const invited = trunkUa.nextInvite()
    const d = await dial(PIN_NUMBER, STRANGER, a) // answered by the platform: "please enter your PIN"
    const to = await primeMedia(a, d)
    await eventually(() => a.rtp.length, (n) => n >= 10, 'the enter-PIN prompt')
    await typeDigits(a, to, `${s1.customer_pin}#`) // the customer's PIN: the caller is the customer
    const inv: IncomingInvite = await invited
    // Rung: the driver of that session, with the masked number as caller id.
    expect(inv.msg.first).toContain(`sip:${s1.driver_phone}@`)
    expect(inv.header('from')).toContain(PIN_NUMBER)
    const callee = await inv.answer(b.sdp())
    // Bridged: audio both ways through rtpengine.
    const toB = mediaOf(inv.sdp)
    const [a0, b0] = [a.rtp.length, b.rtp.length]
    await Promise.all([a.sendRtp(to.address, to.port, 20, 100), b.sendRtp(toB.address, toB.port, 20, 100)])
    await eventually(() => [a.rtp.length - a0, b.rtp.length - b0], ([x, y]) => x! >= 20 && y! >= 20, 'RTP both ways')
    // Not one telephone-event packet reached the callee.
    expect(b.rtp.filter((p) => pt(p) === 101)).toEqual([])
    expect(await d.bye()).toBe(200)
    await callee.ended
    const rec = await eventually(lastCalls, (items) => items.some((c) => c.session_id === s1.id && c.ended_at), 'the PIN call record')
    expect(rec.find((c) => c.session_id === s1.id)).toMatchObject({ from_party: 'customer', to_party: 'driver', status: 'completed', end_reason: 'caller_hangup' })
  }, 60_000)

  test('a PIN call counts against its tenant’s call limit: at the limit, once the PIN names the session the call ends (tenant_call_limit); nobody is rung', async () => {
    const direct = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: BUSY_TENANT_NUMBER } })).body
    const pin = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: '+14155550031', customer_phone: '+14155550032', pin_required: true, pin_length: 4, masked_e164: PIN_NUMBER } })).body
    // A direct masked call of the tenant is live: it holds the tenant's one slot (TENANT_MAX_CONCURRENT_CALLS=1).
    const a = await party(CALLER_ADDR)
    const b = await party(TRUNK_ADDR)
    const invited = trunkUa.nextInvite()
    const placing = dial(BUSY_TENANT_NUMBER, DRIVER, a)
    const callee = await (await invited).answer(b.sdp())
    const d = await placing
    try {
      const invites0 = trunkUa.invitesSeen
      // The PIN call: answered by the platform (the tenant is not known yet), PIN typed, then refused.
      const a2 = await party(CALLER_ADDR)
      const d2 = await dial(PIN_NUMBER, STRANGER, a2)
      const to2 = await primeMedia(a2, d2)
      await eventually(() => a2.rtp.length, (n) => n >= 10, 'the enter-PIN prompt')
      await typeDigits(a2, to2, `${pin.customer_pin}#`)
      await d2.ended
      expect(d2.requests.at(-1)).toBe('BYE')
      expect(trunkUa.invitesSeen).toBe(invites0) // the driver was never rung
      const rec = await eventually(lastCalls, (items) => items.some((c) => c.session_id === pin.id && c.ended_at), 'the refused PIN call record')
      // Answered by the platform, so `completed`; the reason says why it went no further.
      expect(rec.find((c) => c.session_id === pin.id)).toMatchObject({ status: 'completed', end_reason: 'tenant_call_limit (concurrent_calls)', from_party: 'customer', ringing_at: null })
      expect(d.requests).not.toContain('BYE') // the direct call is untouched
    } finally {
      expect(await d.bye()).toBe(200)
      await callee.ended
    }
    await http.post(`/v1/sessions/${direct.id}/complete`, { key: tenant.key })
    await http.post(`/v1/sessions/${pin.id}/complete`, { key: tenant.key })
  }, 90_000)

  test('three wrong PINs: the wrong-PIN prompt, then the call ends; nobody is rung', async () => {
    const s = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: '+14155550021', customer_phone: '+14155550022', pin_required: true, pin_length: 4, masked_e164: PIN_NUMBER } })).body
    const used = new Set<string>([s.driver_pin, s.customer_pin])
    const { items } = (await http.get('/v1/sessions?status=open&limit=100', { key: tenant.key })).body
    for (const x of items) if (x.driver_pin) used.add(x.driver_pin).add(x.customer_pin)
    const wrong = ['1111', '2222', '3333', '4444', '5555'].filter((p) => !used.has(p)).slice(0, 3)
    const invites0 = trunkUa.invitesSeen
    const a = await party(CALLER_ADDR)
    const d = await dial(PIN_NUMBER, STRANGER, a)
    const to = await primeMedia(a, d)
    for (const pin of wrong) {
      // Each try starts once "enter your PIN" is playing (again).
      const n = a.rtp.length
      await eventually(() => a.rtp.length, (m) => m >= n + 10, 'the enter-PIN prompt')
      await typeDigits(a, to, `${pin}#`)
    }
    await d.ended
    expect(d.requests.at(-1)).toBe('BYE')
    expect(trunkUa.invitesSeen).toBe(invites0) // nobody was rung
    const rec = await eventually(lastCalls, (items) => items.some((c) => c.end_reason === 'wrong_pin'), 'the wrong-PIN record')
    expect(rec.find((c) => c.end_reason === 'wrong_pin')).toMatchObject({ session_id: null, status: 'completed', from_phone: STRANGER })
    // The last audio burst is the wrong-PIN prompt, about its length.
    const wrongMs = builtinMs('wrong_pin')
    const last = spans(a.rtp).at(-1)!
    expect(last.count * 20).toBeGreaterThan(wrongMs * 0.8)
    expect(last.count * 20).toBeLessThan(wrongMs * 1.3)
    await http.post(`/v1/sessions/${s.id}/complete`, { key: tenant.key })
  }, 90_000)

  test('a greeting plays to the caller before the callee is rung', async () => {
    const s = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: GREETING_NUMBER, greeting_prompt: 'builtin:connecting' } })).body
    expect(s.greeting_prompt).toBe('builtin:connecting')
    const greetingMs = builtinMs('connecting')
    const a = await party(CALLER_ADDR)
    const b = await party(TRUNK_ADDR)
    const invited = trunkUa.nextInvite().then((inv) => ({ inv, at: performance.now() }))
    const d = await dial(GREETING_NUMBER, DRIVER, a)
    const to = await primeMedia(a, d)
    const { inv, at } = await invited
    // Everything the caller heard before the callee's phone rang is the whole greeting.
    const before = a.rtp.filter((p) => pt(p) === 0 && p.at <= at)
    expect(before.length * 20).toBeGreaterThan(greetingMs * 0.8)
    expect(rms(samplesOf(before))).toBeGreaterThan(300)
    expect(inv.msg.first).toContain(`sip:${CUSTOMER}@`)
    const callee = await inv.answer(b.sdp())
    const toB = mediaOf(inv.sdp)
    const b0 = b.rtp.length
    await Promise.all([a.sendRtp(to.address, to.port, 20, 100), b.sendRtp(toB.address, toB.port, 20, 100)])
    await eventually(() => b.rtp.length - b0, (n) => n >= 20, 'caller audio at the callee')
    expect(await d.bye()).toBe(200)
    await callee.ended
    await http.post(`/v1/sessions/${s.id}/complete`, { key: tenant.key })
  }, 60_000)

  test('call_time_limit_seconds cuts an answered call on time (end reason max_duration)', async () => {
    const s = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: LIMIT_NUMBER, call_time_limit_seconds: 10 } })).body
    const a = await party(CALLER_ADDR)
    const b = await party(TRUNK_ADDR)
    const invited = trunkUa.nextInvite()
    const placing = dial(LIMIT_NUMBER, DRIVER, a)
    const inv = await invited
    const callee = await inv.answer(b.sdp())
    const answeredAt = performance.now()
    const d = await placing
    await Promise.all([d.ended, callee.ended])
    const elapsed = performance.now() - answeredAt
    expect(d.requests.at(-1)).toBe('BYE')
    expect(callee.requests.at(-1)).toBe('BYE')
    // Cut by the session's 10 s, not by MAX_CALL_SECONDS (3600 s here).
    expect(elapsed).toBeGreaterThanOrEqual(9_500)
    expect(elapsed).toBeLessThan(30_000)
    const rec = await eventually(lastCalls, (items) => items.some((c) => c.session_id === s.id && c.ended_at), 'the record')
    expect(rec.find((c) => c.session_id === s.id)).toMatchObject({ end_reason: 'max_duration', status: 'completed' })
    expect(rec.find((c) => c.session_id === s.id).duration_seconds).toBeGreaterThanOrEqual(9)
    await http.post(`/v1/sessions/${s.id}/complete`, { key: tenant.key })
  }, 60_000)

  test('a PATCHed session routes calls until its new expiry and not after', async () => {
    await http.patch('/v1/settings', { key: tenant.key, body: { no_session_prompt: null, not_a_party_prompt: null, unmatched_callback_url: null } })
    const s = (await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER, masked_e164: PATCH_NUMBER, ttl_minutes: 600 } })).body
    const p = await http.patch(`/v1/sessions/${s.id}`, { key: tenant.key, body: { ttl_minutes: 1 } })
    expect(p.status).toBe(200)
    const expires = Date.parse(p.body.expires_at)
    const call = async () => {
      const a = await party(CALLER_ADDR)
      const invited = trunkUa.nextInvite()
      const outcome = dial(PATCH_NUMBER, DRIVER, a).then(
        (d) => ({ status: 200, d }),
        (e) => ({ status: e instanceof SipFinal ? e.status : -1, d: undefined }),
      )
      const first = await Promise.race([invited.then((inv) => ({ inv })), outcome.then((o) => ({ o }))])
      if ('inv' in first) {
        first.inv.reject(486)
        return 'rung'
      }
      return String(first.o.status)
    }
    // Before the new expiry the driver's call rings the customer; after it, the number has no session.
    setSystemTime(new Date(expires - 5_000))
    expect(await call()).toBe('rung')
    setSystemTime(new Date(expires + 1_000))
    expect(await call()).toBe('404')
    trunkUa.stopWaiting()
  }, 60_000)
})
