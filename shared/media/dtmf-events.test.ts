import { describe, expect, test } from 'bun:test'
import { createLogger } from '../log'
import { digitOf, DtmfListener, parseDtmfEvent } from './dtmf-events'

const event = (o: Record<string, unknown>) => JSON.stringify({ callid: 'cc~call_1', source_tag: 'caller', type: 'DTMF', event: 5, duration: 100, ...o })

describe('rtpengine DTMF events', () => {
  test('RFC 4733 event numbers to digits', () => {
    expect([0, 9, 10, 11, 12, 15].map(digitOf)).toEqual(['0', '9', '*', '#', 'A', 'D'])
    expect(digitOf(16)).toBeUndefined() // flash
  })

  test('a datagram to call, tag and digit; anything else is ignored', () => {
    expect(parseDtmfEvent(event({}))).toEqual({ callId: 'cc~call_1', sourceTag: 'caller', digit: '5' })
    expect(parseDtmfEvent('not json')).toBeUndefined()
    expect(parseDtmfEvent(event({ callid: 7 }))).toBeUndefined()
    expect(parseDtmfEvent(event({ event: 16 }))).toBeUndefined()
  })

  test('digits reach the subscribed call only, and only from rtpengine hosts', async () => {
    const l = await DtmfListener.start('127.0.0.1', 0, ['127.0.0.1'], createLogger({ level: 'silent' }))
    try {
      const got: string[] = []
      const off = l.subscribe('cc~call_1', (d, tag) => got.push(`${tag}:${d}`))
      l.receive(event({}), '127.0.0.1')
      l.receive(event({ callid: 'cc~other' }), '127.0.0.1')
      l.receive(event({ event: 1 }), '10.9.9.9') // not rtpengine: someone typing a PIN for the caller
      expect(got).toEqual(['caller:5'])
      expect(l.dropped).toBe(1)
      // Over the socket, too.
      const s = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 })
      s.send(event({ event: 11 }), l.port, '127.0.0.1')
      for (let i = 0; i < 100 && got.length < 2; i++) await Bun.sleep(10)
      s.close()
      expect(got).toEqual(['caller:5', 'caller:#'])
      off()
      l.receive(event({}), '127.0.0.1')
      expect(got).toHaveLength(2)
    } finally {
      l.close()
    }
  })
})
