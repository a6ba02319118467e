/**
 * A gateway app for `app.handle(new Request(…))` tests: the real app on a real in-process bus,
 * with whatever responders a test serves on it (no network, no database).
 */
import { randomBase62 } from '../../shared/api-key'
import { Bus } from '../../shared/bus/bus'
import { InProcessTransport } from '../../shared/bus/in-process-transport'
import { serviceLogger } from '../../shared/log'
import { createGatewayApp } from './app'
import { parseTrustedProxies } from './client-address'
import { KeyCache } from './key-cache'
import { KeyUsageReporter } from './key-usage'
import { RateLimiter } from './rate-limit'

export const ADMIN_TOKEN = 'adm_test_0123456789abcdef'

export function gatewayApp(opts: { ratePerSecond?: number } = {}) {
  const bus = new Bus(new InProcessTransport(), { prefix: `gw_${Date.now().toString(36)}_${randomBase62(6)}`, service: 'gateway-test' })
  const log = serviceLogger('gateway', 'warn')
  const limiter = new RateLimiter({ ratePerSecond: opts.ratePerSecond ?? 1000, burst: (opts.ratePerSecond ?? 1000) * 2 })
  const usage = new KeyUsageReporter(bus, 60_000)
  const anonymousLimit = { ratePerSecond: 1000, burst: 2000 }
  const anonymous = { limiter: new RateLimiter(anonymousLimit), limit: anonymousLimit }
  const app = createGatewayApp({ bus, log, keys: new KeyCache(5000), limiter, anonymous, usage, adminToken: ADMIN_TOKEN, trustProxy: parseTrustedProxies('') })
  const call = (path: string, init: RequestInit & { key?: string; admin?: boolean; json?: unknown } = {}) => {
    const headers = new Headers(init.headers)
    if (init.key) headers.set('x-api-key', init.key)
    if (init.admin) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`)
    let body = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = typeof init.json === 'string' ? init.json : JSON.stringify(init.json)
    }
    return app.handle(new Request(`http://localhost${path}`, { ...init, headers, body }))
  }
  return {
    app,
    bus,
    call,
    async stop() {
      usage.stop()
      limiter.stop()
      anonymous.limiter.stop()
      await bus.drain()
    },
  }
}
