import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createLogger } from '../log'
import { removeRtpengine, rtpengineMissing, startRtpengine, type Rtpengine } from '../../tests/support/rtpengine'
import { mediaOf, rtpParty } from '../../tests/support/rtp-party'
import { recoverMedia, RtpengineMediaPlane } from './call-media'
import { RtpengineUnavailable } from './rtpengine-client'
import { RtpenginePool } from './rtpengine-pool'

const log = createLogger({ level: 'silent' })
const missing = rtpengineMissing('call-media.test.ts')

describe.skipIf(missing)("a call's media on real rtpengine instances", () => {
  let one: Rtpengine
  let two: Rtpengine
  beforeAll(async () => {
    ;[one, two] = await Promise.all([startRtpengine(), startRtpengine()])
  }, 30_000)
  afterAll(async () => {
    await Promise.all([removeRtpengine(one), removeRtpengine(two)])
  }, 30_000)

  test('offer/answer anchor and clean; delete returns packets each way and frees the call', async () => {
    const pool = new RtpenginePool([one.url], { timeoutMs: 500, pingIntervalMs: 60_000, log })
    await pool.start()
    const a = await rtpParty('127.0.0.2')
    const b = await rtpParty('127.0.0.3')
    try {
      const media = await new RtpengineMediaPlane(pool, 'cc-test', log).open('call_1')
      const toB = await media.offer('caller', a.sdp({ identity: '+14155550001' }))
      const toA = await media.answer('callee', b.sdp({ identity: '+14155550002' }))
      expect(await one.calls()).toEqual(['cc-test~call_1'])
      for (const [sdp, number] of [[toB, '4155550001'], [toA, '4155550002']] as const) {
        expect(sdp).not.toContain(number)
        expect(sdp).not.toContain('a=ssrc')
        expect(sdp).toMatch(/^o=- \d+ 0 IN IP4 127\.0\.0\.1\r$/m)
      }
      expect(media.lastSentTo('callee')).toBe(toB)
      const [ta, tb] = [mediaOf(toA), mediaOf(toB)]
      await Promise.all([a.sendRtp(ta.address, ta.port, 15, 100), b.sendRtp(tb.address, tb.port, 25, 100)])
      const until = Date.now() + 5000
      while ((a.rtp.length < 25 || b.rtp.length < 15) && Date.now() < until) await Bun.sleep(20)
      expect(typeof (await media.lastActivity())).toBe('number')
      const summary = await media.end()
      expect(summary?.from_caller).toMatchObject({ packets: 15, bytes: 15 * 172 })
      expect(summary?.from_callee).toMatchObject({ packets: 25, bytes: 25 * 172 })
      expect(await media.end()).toBe(summary) // once
      expect(await one.calls()).toEqual([])
      expect(await media.lastActivity()).toBe('gone')
    } finally {
      a.close()
      b.close()
      pool.stop()
    }
  }, 30_000)

  test("with the parties' RTCP receiver reports, the record gets loss, jitter and MOS from rtpengine", async () => {
    const pool = new RtpenginePool([one.url], { timeoutMs: 1000, pingIntervalMs: 60_000, log })
    await pool.start()
    const a = await rtpParty('127.0.0.2')
    const b = await rtpParty('127.0.0.3')
    try {
      const media = await new RtpengineMediaPlane(pool, 'cc-test', log).open('call_mos')
      const toB = await media.offer('caller', a.sdp())
      const toA = await media.answer('callee', b.sdp())
      // Each party answers rtpengine's sender reports (so it knows the round trip of both legs).
      a.answerSenderReports('a')
      b.answerSenderReports('b')
      const [ta, tb] = [mediaOf(toA), mediaOf(toB)]
      const streams = [a.streamRtp(ta.address, ta.port, 50), b.streamRtp(tb.address, tb.port, 50)]
      try {
        // rtpengine reports every few seconds: wait until it has computed a MOS (bounded).
        const until = Date.now() + 40_000
        for (;;) {
          const q = await one.client.query({ 'call-id': 'cc-test~call_mos' })
          if (Object.values(q.SSRC ?? {}).some((e) => (e['average MOS']?.MOS ?? 0) > 0)) break
          if (Date.now() > until) throw new Error('rtpengine computed no MOS')
          await Bun.sleep(250)
        }
      } finally {
        for (const s of streams) s.stop()
      }
      const summary = (await media.end())!
      const rated = [summary.from_caller, summary.from_callee].filter((d) => d.mos !== null)
      expect(rated.length).toBeGreaterThanOrEqual(1)
      for (const d of rated) {
        expect(d.mos!).toBeGreaterThan(1)
        expect(d.mos!).toBeLessThanOrEqual(5)
        expect(d.loss).toBe(0)
        expect(d.packets_lost).toBe(0)
        expect(d.jitter_ms).not.toBeNull()
      }
    } finally {
      a.close()
      b.close()
      pool.stop()
    }
  }, 60_000)

  test('a new call whose instance does not answer is anchored on another; an anchored call never moves', async () => {
    const pool = new RtpenginePool([one.url, two.url], { timeoutMs: 300, pingIntervalMs: 60_000, log })
    await pool.start()
    const a = await rtpParty('127.0.0.2')
    const b = await rtpParty('127.0.0.3')
    try {
      await one.stop() // the pool has not noticed yet: it still counts `one` healthy
      expect(pool.healthy().length).toBe(2)
      const media = await new RtpengineMediaPlane(pool, 'cc-test', log).open('call_2')
      await media.offer('caller', a.sdp())
      await media.answer('callee', b.sdp())
      expect(await two.calls()).toEqual(['cc-test~call_2'])
      await pool.checkAll() // the timed-out offer and a failed ping: `one` is down
      expect(pool.healthy().map((i) => i.url)).toEqual([two.url])

      // Anchored on `two`: when `two` goes, a re-offer fails rather than moving the call.
      await one.restart()
      await pool.checkAll()
      await two.stop()
      expect(await media.offer('callee', b.sdp({ version: 2 })).catch((e) => e)).toBeInstanceOf(RtpengineUnavailable)
      expect(await one.calls()).toEqual([])
    } finally {
      await two.restart()
      a.close()
      b.close()
      pool.stop()
    }
  }, 30_000)

  test('recovery deletes only this instance id\'s calls that are not live', async () => {
    const pool = new RtpenginePool([one.url], { timeoutMs: 500, pingIntervalMs: 60_000, log })
    await pool.start()
    const p = await rtpParty('127.0.0.4')
    try {
      for (const id of ['cc-a~call_live', 'cc-a~call_dead', 'cc-b~call_other']) await one.client.offer({ 'call-id': id, 'from-tag': 'caller', sdp: p.sdp() })
      expect(await recoverMedia(pool, 'cc-a', (id) => id === 'call_live', log)).toBe(1)
      expect((await one.calls()).sort()).toEqual(['cc-a~call_live', 'cc-b~call_other'])
      for (const id of await one.calls()) await one.client.delete({ 'call-id': id })
    } finally {
      p.close()
      pool.stop()
    }
  }, 30_000)
})
