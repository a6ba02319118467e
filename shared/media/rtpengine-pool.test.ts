import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { serviceLogger } from '../log'
import { registry } from '../metrics'
import { metricValue } from '../../tests/support/metrics'
import { removeRtpengine, rtpengineMissing, startRtpengine, type Rtpengine } from '../../tests/support/rtpengine'
import { MediaUnavailable, parseRtpengineUrls, RtpenginePool } from './rtpengine-pool'

const log = serviceLogger('test', 'silent')

test('RTPENGINE_URLS: a comma-separated list; a bad entry is named', () => {
  expect(parseRtpengineUrls('udp:10.0.0.1:22222, udp:10.0.0.2:22222')).toEqual(['udp:10.0.0.1:22222', 'udp:10.0.0.2:22222'])
  expect(parseRtpengineUrls('')).toEqual([])
  expect(() => parseRtpengineUrls('udp:10.0.0.1:22222,nonsense')).toThrow(/"nonsense"/)
})

test('an empty pool is not ready and refuses new calls', async () => {
  const pool = new RtpenginePool([], { timeoutMs: 100, pingIntervalMs: 1000, log })
  await pool.start()
  expect(pool.ready).toBe(false)
  await expect(pool.pick()).rejects.toThrow(MediaUnavailable)
  pool.stop()
})

const missing = rtpengineMissing('rtpengine-pool.test.ts')

describe.skipIf(missing)('two real instances', () => {
  let one: Rtpengine
  let two: Rtpengine
  beforeAll(async () => {
    ;[one, two] = await Promise.all([startRtpengine(), startRtpengine()])
  }, 30_000)
  afterAll(async () => {
    await Promise.all([removeRtpengine(one), removeRtpengine(two)])
  }, 30_000)

  test('health follows ping: a stopped instance gets no new calls, none healthy → MediaUnavailable, a restarted one comes back', async () => {
    const pool = new RtpenginePool([one.url, two.url], { timeoutMs: 200, pingIntervalMs: 100_000, log })
    await pool.start()
    try {
      expect(pool.ready).toBe(true)
      expect(pool.healthy().map((i) => i.url)).toEqual([one.url, two.url])
      // Least loaded first: a call on the first sends the next to the second.
      ;(await pool.pick()).calls++
      expect((await pool.pick()).url).toBe(two.url)
      expect(metricValue(await registry.metrics(), 'rtpengine_up', { instance: `127.0.0.1:${one.ngPort}` })).toBe(1)

      await one.stop()
      // One failed ping is not enough (a slow answer on a busy machine); two in a row are.
      await pool.checkAll()
      expect(pool.healthy().map((i) => i.url)).toEqual([two.url, one.url])
      await pool.checkAll()
      expect(pool.healthy().map((i) => i.url)).toEqual([two.url])
      for (let i = 0; i < 5; i++) expect((await pool.pick()).url).toBe(two.url)
      expect(metricValue(await registry.metrics(), 'rtpengine_up', { instance: `127.0.0.1:${one.ngPort}` })).toBe(0)

      await two.stop()
      await pool.checkAll()
      await pool.checkAll()
      expect(pool.ready).toBe(false)
      await expect(pool.pick()).rejects.toThrow(MediaUnavailable)

      // Counted down, yet answering again: the next call asks at once instead of being refused
      // until the next ping (a busy machine that stalled two pings must not refuse calls).
      await one.restart()
      expect(pool.ready).toBe(false)
      const [a, b] = await Promise.all([pool.pick(), pool.pick()])
      expect([a.url, b.url]).toEqual([one.url, one.url])
      expect(pool.ready).toBe(true)
    } finally {
      pool.stop()
      await two.restart()
    }
  }, 30_000)
})
