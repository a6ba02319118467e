import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { removeRtpengine, rtpengineMissing, startRtpengine, type Rtpengine } from '../../tests/support/rtpengine'
import { mediaOf, rtpParty } from '../../tests/support/rtp-party'
import { parseNgUrl, RtpengineClient, RtpengineError, RtpengineUnavailable } from './rtpengine-client'

describe('parseNgUrl', () => {
  test('reads udp:host:port, udp://host:port and host:port', () => {
    expect(parseNgUrl('udp:127.0.0.1:2223')).toEqual({ host: '127.0.0.1', port: 2223 })
    expect(parseNgUrl('udp://rtpengine-0.media:22222')).toEqual({ host: 'rtpengine-0.media', port: 22222 })
    expect(parseNgUrl('10.0.0.5:22222')).toEqual({ host: '10.0.0.5', port: 22222 })
    expect(parseNgUrl('udp:[::1]:22222')).toEqual({ host: '::1', port: 22222 })
  })
  test('refuses what is not an address', () => {
    for (const bad of ['', 'tcp:1.2.3.4:5', 'udp:host', 'udp:host:0', 'udp:host:70000', 'http://x:1']) expect(() => parseNgUrl(bad)).toThrow(/rtpengine ng address/)
  })
})

test('a request to an address where nothing answers rejects with RtpengineUnavailable within its timeout', async () => {
  const sock = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 }) // holds a port that never replies
  const c = new RtpengineClient({ host: '127.0.0.1', port: sock.port }, 200)
  try {
    const started = performance.now()
    const e = await c.ping().catch((x) => x)
    expect(e).toBeInstanceOf(RtpengineUnavailable)
    expect(performance.now() - started).toBeLessThan(5000)
  } finally {
    c.close()
    sock.close()
  }
})

const missing = rtpengineMissing('rtpengine-client.test.ts')

describe.skipIf(missing)('against a real rtpengine', () => {
  let r: Rtpengine
  beforeAll(async () => {
    r = await startRtpengine()
  }, 30_000)
  afterAll(async () => {
    await removeRtpengine(r)
  }, 30_000)

  test('ping answers pong', async () => {
    expect((await r.client.ping()).result).toBe('pong')
  })

  test('an error reply rejects with rtpengine reason', async () => {
    const e = await r.client.answer({ 'call-id': 'no-such-call', 'from-tag': 'a', 'to-tag': 'b', sdp: 'v=0\r\n' }).catch((x) => x)
    expect(e).toBeInstanceOf(RtpengineError)
    expect((e as RtpengineError).reason).toMatch(/call-id/i)
  })

  test('offer/answer anchor RTP both ways, query and delete count it, list forgets the call', async () => {
    const a = await rtpParty('127.0.0.2')
    const b = await rtpParty('127.0.0.3')
    try {
      const offer = await r.client.offer({ 'call-id': 'c-anchor', 'from-tag': 'A', sdp: a.sdp() })
      const answer = await r.client.answer({ 'call-id': 'c-anchor', 'from-tag': 'A', 'to-tag': 'B', sdp: b.sdp() })
      expect(await r.calls()).toContain('c-anchor')
      // What A sends goes to the address in the answer it received, and vice versa.
      const toB = mediaOf(answer.sdp)
      const toA = mediaOf(offer.sdp)
      expect(toB.address).toBe('127.0.0.1')
      expect(toA.address).toBe('127.0.0.1')
      await Promise.all([a.sendRtp(toB.address, toB.port, 30, 100), b.sendRtp(toA.address, toA.port, 20, 100)])
      await waitFor(() => b.rtp.length >= 30 && a.rtp.length >= 20)
      expect(b.rtp.every((p) => p.from.startsWith('127.0.0.1:'))).toBe(true)
      const q = await r.client.query({ 'call-id': 'c-anchor' })
      expect(q.totals?.RTP?.packets).toBe(50)
      const d = await r.client.delete({ 'call-id': 'c-anchor', 'from-tag': 'A' })
      const fromA = d.tags?.A?.medias?.[0]?.streams.find((s) => s.flags?.includes('RTP'))
      expect(fromA?.stats?.packets).toBe(30)
      expect(await r.calls()).not.toContain('c-anchor')
    } finally {
      a.close()
      b.close()
    }
  }, 30_000)
})

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await Bun.sleep(20)
  }
}
