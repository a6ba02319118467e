/**
 * The call path held against an attacker and a carrier (issue 10), through a real drachtio-server
 * with SIPp phones and a SIPp trunk: the BYE-behind-ACK and CANCEL-crossing-200 races repeated,
 * the destination policy at create and at routing, Max-Forwards, in-dialog requests from a
 * stranger, OPTIONS, UPDATE / SDP-less re-INVITE / INFO relayed, REFER and unknown methods
 * refused, nothing of the callee's signalling text reaching the caller, P-Asserted-Identity, and a
 * folded-header INVITE.
 *
 *   DRACHTIO_BIN=/opt/drachtio/bin/drachtio bun test tests/sip/call-path.test.ts
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSocket } from 'node:dgram'
import type { ServiceDefinition } from '../../shared/service'
import { callControlService } from '../../services/call-control/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService } from '../../services/sessions/service'
import { client, createTenant, type Client } from '../support/http'
import { headerOf, rawSip, request, sdpFor } from './raw-sip'
import {
  optionsPing,
  uac,
  uacAckBye,
  uacBusy,
  uacCancelCrossing,
  uacInDialogMethods,
  uacRefused,
  uacSharingDialog,
  uas,
  uasAnswerAtOnce,
  uasChatty,
  uasInDialogMethods,
} from './scenarios'
import { freeUdpPort, invitesIn, runSipp, scenarioFile, startSipPlatform, warnIfSkipped, type SipPlatform, type SippResult } from './support'

const skip = warnIfSkipped('tests/sip/call-path.test.ts')

const MASKED = '+12025550400'
const DRIVER = '+12025550411'
const CUSTOMER = '+12025550422'

let sip: SipPlatform
let http: Client
let tenant: { tenantId: string; key: string }
let sessionId: string

async function sipp(name: string, xml: string, o: { uas?: boolean; calls?: number; rate?: number; localIp?: string; dial?: string; extra?: string[]; timeoutS?: number } = {}) {
  return runSipp({
    scenario: scenarioFile(sip.tmp.dir, name, xml),
    name,
    dir: sip.tmp.dir,
    localIp: o.localIp,
    localPort: o.uas ? sip.trunkPort : await freeUdpPort(o.localIp),
    remote: o.uas ? undefined : `127.0.0.1:${sip.dr.sipPort}`,
    service: o.uas ? undefined : (o.dial ?? MASKED),
    calls: o.calls ?? 1,
    rate: o.rate,
    extra: o.extra,
    timeoutS: o.timeoutS,
  })
}

/** Runs a trunk-side UAS (if any) and a phone; returns both results, quoted. */
async function exchange(name: string, o: { uasXml?: string; uacXml: string; calls?: number; rate?: number; localIp?: string }) {
  const trunk = o.uasXml ? await sipp(`${name}-uas`, o.uasXml, { uas: true, calls: o.calls }) : undefined
  if (trunk) await Bun.sleep(300) // let the UAS bind before the call reaches the trunk
  const phone = await (await sipp(`${name}-uac`, o.uacXml, { calls: o.calls, rate: o.rate, localIp: o.localIp })).done
  console.log(`[sipp ${name} uac] exit ${phone.exitCode}\n${phone.summary}`)
  const far = await trunk?.done
  if (far) console.log(`[sipp ${name} uas] exit ${far.exitCode}\n${far.summary}`)
  return { uac: phone, uas: far }
}

/**
 * How soon after the hangup every leg must be down, as asserted here. The defect these races
 * showed left the other leg up until MAX_CALL_SECONDS (an hour); on a quiet machine every leg is
 * down within a second of the hangup (the tests print the slowest), but a loaded 2-core CI machine
 * can stretch one exchange past a second without anything being wrong. The bound separates the
 * two; the second is the benchmark's to show, not a timed test's.
 */
const TEARDOWN_BOUND_MS = 5000

/** ended_at − (answered_at, else created_at): how long the call lasted past its last event of ours. */
const lingered = (c: CallRow) => Date.parse(c.ended_at!) - Date.parse(c.answered_at ?? c.created_at)

const ok = (r: SippResult | undefined, calls = 1) => expect([r?.exitCode, r?.successful, r?.failed]).toEqual([0, calls, 0])

interface CallRow {
  id: string
  status: string
  end_reason: string | null
  created_at: string
  answered_at: string | null
  ended_at: string | null
  duration_seconds: number
}

/** This session's calls created after `since`, once `count` of them have ended. */
async function endedCalls(since: number, count: number): Promise<CallRow[]> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const r = await http.get(`/v1/calls?session_id=${sessionId}&limit=200`, { key: tenant.key })
    const mine = (r.body.items as CallRow[]).filter((c) => Date.parse(c.created_at) >= since - 5)
    if (mine.length >= count && mine.every((c) => c.ended_at)) return mine
    if (Date.now() > deadline) throw new Error(`expected ${count} ended calls, got ${JSON.stringify(mine.map((c) => [c.status, c.end_reason]))}`)
    await Bun.sleep(100)
  }
}

/** A UDP socket on the trunk port counting what arrives (nothing should). */
async function trunkListener() {
  const sock = createSocket('udp4')
  const got: string[] = []
  sock.on('message', (b) => got.push(b.toString().split('\r\n')[0]!))
  await new Promise<void>((r) => sock.bind(sip.trunkPort, '127.0.0.1', () => r()))
  return { got, close: () => new Promise<void>((r) => sock.close(() => r())) }
}

describe.skipIf(skip)('the call path, tried as an attacker and as a carrier would', () => {
  beforeAll(async () => {
    sip = await startSipPlatform('sip-call-path', [identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
      RING_TIMEOUT_S: '5',
      DEFAULT_REGION: 'US',
      TENANT_CACHE_TTL_MS: '0',
    })
    http = client(sip.tp.baseUrl)
    tenant = await createTenant(http, sip.tp.adminToken, { rate_limit_per_second: 1000 })
    expect((await http.post('/admin/v1/dids', { bearer: sip.tp.adminToken, body: { numbers: [MASKED] } })).status).toBe(200)
    expect((await http.post(`/admin/v1/dids/${MASKED}/assign`, { bearer: sip.tp.adminToken, body: { tenant_id: tenant.tenantId } })).status).toBe(200)
    const s = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: CUSTOMER } })
    expect(s.status).toBe(200)
    sessionId = s.body.id
  }, 60_000)

  afterAll(() => sip?.stop(), 60_000)

  test('BYE right behind the ACK, 20 times: every callee leg gets its BYE at once (not at MAX_CALL_SECONDS), every record is a completed caller hangup', async () => {
    const since = Date.now()
    const r = await exchange('ack-bye', { uasXml: uasAnswerAtOnce({ byeWithinMs: TEARDOWN_BOUND_MS }), uacXml: uacAckBye({ from: DRIVER }), calls: 20, rate: 10 })
    ok(r.uac, 20)
    ok(r.uas, 20)
    const calls = await endedCalls(since, 20)
    expect(calls).toHaveLength(20)
    for (const c of calls) {
      expect([c.status, c.end_reason]).toEqual(['completed', 'caller_hangup'])
      expect(lingered(c)).toBeLessThan(TEARDOWN_BOUND_MS)
      expect(c.duration_seconds).toBe(0)
    }
    console.log('[ack-bye] slowest teardown after the ACK (ms):', Math.max(...calls.map(lingered)))
  }, 60_000)

  test('CANCEL crossing our 200 OK, 30 times: whichever wins, every leg ends at once and every record says what happened', async () => {
    const since = Date.now()
    const r = await exchange('cancel-crossing', { uasXml: uasAnswerAtOnce({ byeWithinMs: TEARDOWN_BOUND_MS }), uacXml: uacCancelCrossing({ from: DRIVER }), calls: 30, rate: 10 })
    ok(r.uac, 30)
    ok(r.uas, 30) // every callee leg was answered and then got our BYE
    const calls = await endedCalls(since, 30)
    expect(calls).toHaveLength(30)
    const outcomes = new Map<string, number>()
    console.log('[cancel-crossing records]', calls.map((c) => `${c.status} ${c.end_reason}`).join(' | '))
    for (const c of calls) {
      const key = `${c.status} ${c.end_reason?.split(' ')[0]}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
      expect(['completed caller_hangup', 'canceled caller_canceled']).toContain(key)
      expect(lingered(c)).toBeLessThan(TEARDOWN_BOUND_MS)
    }
    console.log('[cancel-crossing outcomes]', Object.fromEntries(outcomes), 'slowest teardown (ms):', Math.max(...calls.map(lingered)))
  }, 90_000)

  test('Max-Forwards: 0 is refused with 483; otherwise the outgoing leg carries it decremented', async () => {
    const refused = await exchange('max-forwards-0', { uacXml: uacRefused({ from: DRIVER, status: 483, maxForwards: 0 }) })
    ok(refused.uac)
    const r = await exchange('max-forwards-10', { uasXml: uas({ hangup: 'them' }), uacXml: uac({ from: DRIVER, holdMs: 200, hangup: 'us', maxForwards: 10 }) })
    ok(r.uac)
    ok(r.uas)
    expect(invitesIn(r.uas!.messages)[0]!.headers['max-forwards']).toBe('9')
  }, 30_000)

  /** A call whose caller shares its dialog ids, and a stranger on 127.0.0.2 who uses them. */
  async function strangerInDialog(name: string, holdMs: number, byeAnswer: 200 | 481) {
    const idsFile = join(sip.tmp.dir, `${name}-ids.txt`)
    const trunk = await sipp(`${name}-uas`, uas({ hangup: 'them' }), { uas: true })
    await Bun.sleep(300)
    const phone = await sipp(`${name}-uac`, uacSharingDialog({ from: DRIVER, idsFile, holdMs, byeAnswer }))
    const deadline = Date.now() + 5000
    // The file is whole once its line ends (SIPp's exec writes it with echo).
    while (!existsSync(idsFile) || !readFileSync(idsFile, 'utf8').endsWith('\n')) {
      if (Date.now() > deadline) throw new Error('the caller did not share its dialog ids')
      await Bun.sleep(20)
    }
    const [callId, fromTag, toTag] = readFileSync(idsFile, 'utf8').trim().split(' ')
    // The ids are shared on the 200 OK; the call is up once the caller's ACK is in.
    while ((await http.get(`/v1/calls?session_id=${sessionId}&status=answered`, { key: tenant.key })).body.total < 1) {
      if (Date.now() > deadline) throw new Error('the call was not answered')
      await Bun.sleep(20)
    }
    const attacker = await rawSip('127.0.0.2')
    const headers = (cseq: string, branch: string) => [
      `Via: SIP/2.0/UDP 127.0.0.2:${attacker.port};branch=${branch}`,
      `From: <sip:${DRIVER}@127.0.0.1>;tag=${fromTag}`,
      `To: <sip:${MASKED}@127.0.0.1>;tag=${toTag}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq}`,
      `Contact: <sip:x@127.0.0.2:${attacker.port}>`,
      'Max-Forwards: 70',
    ]
    const ruri = `sip:${MASKED}@127.0.0.1:${sip.dr.sipPort}`
    return { trunk, phone, attacker, headers, ruri }
  }

  test("a stranger's re-INVITE inside someone's call (moving the media to itself) gets 403 and changes nothing", async () => {
    const since = Date.now()
    const s = await strangerInDialog('stranger-reinvite', 2500, 200)
    try {
      s.attacker.send(request(`INVITE ${s.ruri} SIP/2.0`, [...s.headers('10 INVITE', 'z9hG4bKatt1'), 'Content-Type: application/sdp'], sdpFor('127.0.0.2', 40000)), sip.dr.sipPort)
      const answer = await s.attacker.next(/^SIP\/2\.0 [2-6]\d\d/)
      expect(answer.split('\r\n')[0]).toBe('SIP/2.0 403 Forbidden')
      s.attacker.send(request(`ACK ${s.ruri} SIP/2.0`, s.headers('10 ACK', 'z9hG4bKatt1')), sip.dr.sipPort)
    } finally {
      s.attacker.close()
    }
    // The trunk saw no re-INVITE (its scenario fails on one), and the caller's own BYE, 2.5 s in, ended the call.
    ok(await s.phone.done)
    ok(await s.trunk.done)
    const [call] = await endedCalls(since, 1)
    expect([call!.status, call!.end_reason]).toEqual(['completed', 'caller_hangup'])
    expect(Date.parse(call!.ended_at!) - Date.parse(call!.answered_at!)).toBeGreaterThan(2000)
  }, 30_000)

  test("a stranger's BYE gets 403; it is never recorded as the caller's hangup, and no leg is left up", async () => {
    const since = Date.now()
    // drachtio-server drops the dialog on any BYE before call-control can refuse it, so the caller's
    // own BYE later finds no dialog (481); call-control ends the call itself at once.
    const s = await strangerInDialog('stranger-bye', 1500, 481)
    try {
      s.attacker.send(request(`BYE ${s.ruri} SIP/2.0`, s.headers('11 BYE', 'z9hG4bKatt2')), sip.dr.sipPort)
      const answer = await s.attacker.next(/^SIP\/2\.0 [2-6]\d\d/)
      expect(answer.split('\r\n')[0]).toBe('SIP/2.0 403 Forbidden')
    } finally {
      s.attacker.close()
    }
    ok(await s.phone.done)
    ok(await s.trunk.done) // the callee got our BYE
    const [call] = await endedCalls(since, 1)
    // untrusted_bye, not caller_hangup: the call ended on the stranger's BYE, before the caller's
    // own (sent 1.5 s after the answer, and answered 481).
    expect([call!.status, call!.end_reason]).toEqual(['completed', 'untrusted_bye'])
  }, 30_000)

  test('OPTIONS from the trusted trunk: 200 with Allow; from anyone else: 403', async () => {
    const trusted = await exchange('options-trusted', { uacXml: optionsPing({ status: 200 }) })
    ok(trusted.uac)
    const reply = trusted.uac.messages.split(/-{5,}/).find((m) => /SIP\/2\.0 200/.test(m))!
    expect(headerOf(reply, 'Allow')).toContain('INVITE')
    expect(headerOf(reply, 'Allow')).not.toContain('REFER')
    ok((await exchange('options-stranger', { uacXml: optionsPing({ status: 403 }), localIp: '127.0.0.2' })).uac)
  }, 30_000)

  test('outside a call: MESSAGE and SUBSCRIBE get 405; REFER and unknown methods are dropped by drachtio-server, never acted on', async () => {
    const ua = await rawSip('127.0.0.1')
    try {
      for (const [method, i, status] of [
        ['MESSAGE', 2, 405],
        ['SUBSCRIBE', 3, 405],
        ['REFER', 1, undefined],
        ['FOO', 4, undefined],
      ] as const) {
        const headers = [
          `Via: SIP/2.0/UDP 127.0.0.1:${ua.port};branch=z9hG4bKood${i}`,
          `From: <sip:${DRIVER}@127.0.0.1>;tag=ood${i}`,
          `To: <sip:${MASKED}@127.0.0.1>`,
          `Call-ID: ood-${i}-${Date.now()}@127.0.0.1`,
          `CSeq: 1 ${method}`,
          `Contact: <sip:${DRIVER}@127.0.0.1:${ua.port}>`,
          'Max-Forwards: 70',
          ...(method === 'SUBSCRIBE' ? ['Event: presence'] : []),
          ...(method === 'REFER' ? [`Refer-To: <sip:+19005551234@127.0.0.1>`] : []),
        ]
        ua.send(request(`${method} sip:${MASKED}@127.0.0.1:${sip.dr.sipPort} SIP/2.0`, headers), sip.dr.sipPort)
        if (status === undefined) {
          // drachtio-server hands an application only INVITE, REGISTER, MESSAGE, OPTIONS, INFO,
          // NOTIFY, SUBSCRIBE and PUBLISH outside a dialog; it discards anything else unanswered.
          await Bun.sleep(1000)
          expect(ua.received.filter((m) => m.includes(`CSeq: 1 ${method}`))).toEqual([])
          continue
        }
        const answer = (await ua.next(/^SIP\/2\.0 [2-6]\d\d/)).split('\r\n')[0]!
        console.log(`[out of dialog] ${method} → ${answer}`)
        expect(Number(answer.split(' ')[1])).toBe(status)
      }
    } finally {
      ua.close()
    }
  }, 30_000)

  test('in the call: UPDATE and an SDP-less re-INVITE are relayed (the answer in the ACK too), INFO is relayed, REFER gets 403, MESSAGE and an unknown method 405', async () => {
    const r = await exchange('in-dialog', { uasXml: uasInDialogMethods(), uacXml: uacInDialogMethods({ from: DRIVER }) })
    ok(r.uac)
    ok(r.uas)
    const far = r.uas!.messages
    expect(far).toMatch(/UPDATE sip:[^\n]*\n[\s\S]*?m=audio/) // the caller's new offer reached the callee
    expect(far).toMatch(/INFO sip:[^\n]*\n[\s\S]*?Signal=5/) // the DTMF digit too
    expect(far).not.toContain('REFER')
    expect(far).not.toContain('MESSAGE')
    expect(far).not.toContain('FOO sip:')
  }, 30_000)

  test("the callee's reason phrases and headers do not reach the caller: standard phrases only", async () => {
    const r = await exchange('chatty-callee', { uasXml: uasChatty(), uacXml: uacBusy({ from: DRIVER }) })
    ok(r.uac)
    ok(r.uas)
    const heard = r.uac!.messages
    expect(heard).toMatch(/SIP\/2\.0 180 Ringing\r?\n/)
    expect(heard).toMatch(/SIP\/2\.0 486 Busy Here\r?\n/)
    expect(heard).not.toContain('Bob iPhone')
    expect(heard).not.toContain('bob-home-wifi')
    expect(heard).not.toContain(CUSTOMER.slice(2))
  }, 30_000)

  test('a P-Asserted-Identity that is not a number is refused; the caller-written From is not used instead', async () => {
    const trunk = await trunkListener()
    try {
      const r = await exchange('pai-anonymous', { uacXml: uacRefused({ from: DRIVER, status: 403, headers: ['P-Asserted-Identity: <sip:anonymous@anonymous.invalid>'] }) })
      ok(r.uac)
      expect(trunk.got).toEqual([])
    } finally {
      await trunk.close()
    }
  }, 30_000)

  test('destination policy: a premium-rate party is refused at create; a party the tenant may no longer reach is never dialled', async () => {
    const premium = await http.post('/v1/sessions', { key: tenant.key, body: { driver_phone: DRIVER, customer_phone: '+19005551234' } })
    expect([premium.status, premium.body.error.code, premium.body.error.party]).toEqual([422, 'destination_not_allowed', 'customer_phone'])

    const trunk = await trunkListener()
    const patch = (allowed: string[] | null) => http.patch(`/admin/v1/tenants/${tenant.tenantId}`, { bearer: sip.tp.adminToken, body: { allowed_countries: allowed } })
    try {
      expect((await patch(['FR'])).status).toBe(200)
      ok((await exchange('policy-inbound', { uacXml: uacRefused({ from: DRIVER, status: 403 }) })).uac)
      const o = await http.post('/v1/calls/originate', { key: tenant.key, body: { session_id: sessionId } })
      expect([o.status, o.body.error.code, o.body.error.party]).toEqual([422, 'destination_not_allowed', 'driver'])
      await Bun.sleep(300)
      expect(trunk.got).toEqual([]) // nothing was dialled
    } finally {
      await trunk.close()
      expect((await patch(null)).status).toBe(200)
    }
  }, 30_000)

  test('a caller that never ACKs our 200 OK: drachtio gives up after 32 s, the callee gets BYE, the record is failed (not a completed call)', async () => {
    const since = Date.now()
    const trunk = await sipp('no-ack-uas', uas({ hangup: 'them' }).replace('timeout="20000"', 'timeout="45000"'), { uas: true, timeoutS: 50 })
    await Bun.sleep(300)
    const phone = await rawSip('127.0.0.1')
    try {
      phone.send(
        request(
          `INVITE sip:${MASKED}@127.0.0.1:${sip.dr.sipPort} SIP/2.0`,
          [
            `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=z9hG4bKnoack1`,
            `From: <sip:${DRIVER}@127.0.0.1>;tag=noack1`,
            `To: <sip:${MASKED}@127.0.0.1>`,
            `Call-ID: noack-${Date.now()}@127.0.0.1`,
            'CSeq: 1 INVITE',
            `Contact: <sip:${DRIVER}@127.0.0.1:${phone.port}>`,
            'Max-Forwards: 70',
            'Content-Type: application/sdp',
          ],
          sdpFor('127.0.0.1', 40004),
        ),
        sip.dr.sipPort,
      )
      expect((await phone.next(/^SIP\/2\.0 200/, 10_000)).split('\r\n')[0]).toBe('SIP/2.0 200 OK')
      // No ACK, ever: the 200 OK is retransmitted until drachtio-server's timer H (32 s) gives up.
      ok(await trunk.done)
      const [call] = await endedCalls(since, 1)
      expect([call!.status, call!.end_reason, call!.answered_at, call!.duration_seconds]).toEqual(['failed', 'caller_no_ack', null, 0])
    } finally {
      phone.close()
      await trunk.stop()
    }
  }, 60_000)

  test('an INVITE with folded headers (RFC 4475) is bridged like any other (it used to be answered at the callee, then refused with 500)', async () => {
    const trunk = await sipp('folded-uas', uas({ hangup: 'them' }), { uas: true })
    await Bun.sleep(300)
    const phone = await rawSip('127.0.0.1')
    const branch = 'z9hG4bKfold1'
    const callId = `folded-${Date.now()}@127.0.0.1`
    const headers = [
      `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${branch}`,
      `From: <sip:${DRIVER}@127.0.0.1>\r\n  ;tag=fold1`,
      `To:\r\n <sip:${MASKED}@127.0.0.1>`,
      `Call-ID: ${callId}`,
      'CSeq: 1\r\n INVITE',
      `Contact: <sip:${DRIVER}@127.0.0.1:${phone.port}>`,
      'Max-Forwards: 70',
      'Subject: I know you are there,\r\n         pick up the phone\r\n         and talk to me!',
      'Content-Type: application/sdp',
    ]
    try {
      phone.send(request(`INVITE sip:${MASKED}@127.0.0.1:${sip.dr.sipPort} SIP/2.0`, headers, sdpFor('127.0.0.1', 40002)), sip.dr.sipPort)
      const final = await phone.next(/^SIP\/2\.0 [2-6]\d\d/, 10_000)
      const status = Number(final.split(' ')[1])
      const toTag = /tag=([^;>\s]+)/.exec(headerOf(final, 'To') ?? '')?.[1]
      const dialog = (cseq: string, br: string) => [
        `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=${br}`,
        `From: <sip:${DRIVER}@127.0.0.1>;tag=fold1`,
        `To: <sip:${MASKED}@127.0.0.1>;tag=${toTag}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq}`,
        'Max-Forwards: 70',
      ]
      console.log(`[folded INVITE] final response ${status}`)
      // Folding is legal SIP: the call is bridged like any other (it was answered at the callee, then 500 to the caller).
      expect(status).toBe(200)
      phone.send(request(`ACK sip:${MASKED}@127.0.0.1:${sip.dr.sipPort} SIP/2.0`, dialog('1 ACK', 'z9hG4bKfold2')), sip.dr.sipPort)
      await Bun.sleep(300)
      phone.send(request(`BYE sip:${MASKED}@127.0.0.1:${sip.dr.sipPort} SIP/2.0`, dialog('2 BYE', 'z9hG4bKfold3')), sip.dr.sipPort)
      expect((await phone.next(/^SIP\/2\.0 200/)).split('\r\n')[0]).toBe('SIP/2.0 200 OK')
      ok(await trunk.done)
    } finally {
      phone.close()
      await trunk.stop()
    }
  }, 30_000)
})
