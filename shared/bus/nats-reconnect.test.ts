/** The NATS transport when its server goes away and comes back (a private nats-server, restarted). */
import { afterAll, describe, expect, test } from 'bun:test'
import { PrivateNats } from '../../tests/support/nats-server'
import { NatsTransport } from './nats-transport'
import { TransportError } from './transport'

let nats: PrivateNats | undefined
afterAll(() => nats?.stop())

describe('NATS transport across a server restart', () => {
  test('a request in flight fails at once with disconnected; onReconnect is called when the server is back', async () => {
    nats = await PrivateNats.start()
    const t = await NatsTransport.connect({ servers: nats.url, name: 'reconnect-test' })
    let reconnects = 0
    t.onReconnect(() => reconnects++)
    t.reply('slow', 'slow', () => Bun.sleep(500).then(() => '{}')) // answers after the server is gone

    const started = performance.now()
    const inFlight = t.request('slow', { data: '{}', headers: {} }, 10_000).catch((e) => e)
    await Bun.sleep(50)
    await nats.stop()
    const err = await inFlight
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).reason).toBe('disconnected')
    expect(performance.now() - started).toBeLessThan(2000) // not the 10 s timeout
    expect(reconnects).toBe(0)

    await nats.start()
    const deadline = Date.now() + 10_000
    while (!t.isConnected() && Date.now() < deadline) await Bun.sleep(50)
    expect(t.isConnected()).toBe(true)
    expect(reconnects).toBe(1)
    await t.drain()
  })
})
