import { expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { eventually } from '../../../tests/support/eventually'
import { newSrf, stopReconnecting, wireOf } from './srf-internals'

test("drachtio-srf's private reconnect state is where stopReconnecting writes it (fails when the library changes it)", async () => {
  // A port nobody listens on: the library starts its reconnect loop.
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>((r) => probe.close(() => r()))
  const srf = newSrf()
  srf.on('error', () => {})
  srf.connect({ host: '127.0.0.1', port, secret: 'x', reconnect: { retryMaxDelay: 5000 } })
  const wp = await eventually(() => wireOf(srf), (w) => w?.reconnectVars !== undefined)
  expect(wp).toBeDefined()
  expect(Object.keys(wp!.reconnectVars!)).toContain('retryTimer')
  expect(stopReconnecting(srf)).toBe(wp)
  expect(wp!.closing).toBe(true)
  expect(wp!.reconnectVars!.retryTimer).toBeNull()
})
