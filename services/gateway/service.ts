/** gateway: the only public HTTP surface. Stateless: keys are verified through identity. */
import { Type as T } from '@sinclair/typebox'
import { identity } from '../../shared/contracts/identity'
import { checkedString } from '../../shared/config'
import { opsApp, type ServiceDefinition } from '../../shared/service'
import { listenOrFail } from '../../shared/startup'
import { parseTrustedProxies } from './client-address'
import { createGatewayApp } from './app'
import { KeyCache } from './key-cache'
import { KeyUsageReporter } from './key-usage'
import { RateLimiter } from './rate-limit'
import { UsageGossip } from './usage-gossip'

const BUN_BODY_LIMIT = 2 ** 31 - 1


export const gatewayConfig = {
  ADMIN_TOKEN: T.Optional(T.String({ minLength: 16, description: 'must be at least 16 characters' })),
  RATE_LIMIT_PER_SECOND: T.Integer({ default: 20, minimum: 1, maximum: 100000 }),
  RATE_LIMIT_BURST: T.Integer({ default: 40, minimum: 1, maximum: 200000 }),
  KEY_CACHE_TTL_MS: T.Integer({ default: 5000, minimum: 0, maximum: 5000 }),
  /** How long a key identity refused is answered 401 without asking again. */
  KEY_NEGATIVE_CACHE_MS: T.Integer({ default: 2000, minimum: 0, maximum: 60000 }),
  /** Requests without a valid credential, per source address (burst: twice this). */
  UNAUTH_RATE_LIMIT_PER_SECOND: T.Integer({ default: 20, minimum: 1, maximum: 100000 }),
  /** How often gateways tell each other what their tenants spent (ADR 0007). */
  RATE_LIMIT_SYNC_MS: T.Integer({ default: 100, minimum: 10, maximum: 5000 }),
  /** Proxies whose X-Forwarded-For we believe (addresses or CIDRs); empty: none. */
  TRUST_PROXY: checkedString(problemOf(parseTrustedProxies), { default: '' }),
  /** `/ready` and `/metrics` listen here, off the public port. */
  OPS_PORT: T.Integer({ default: 9090, minimum: 0, maximum: 65535 }),
}

function problemOf(parse: (v: string) => unknown) {
  return (v: string) => {
    try {
      parse(v)
      return undefined
    } catch (e) {
      return (e as Error).message
    }
  }
}

export const gatewayService: ServiceDefinition<typeof gatewayConfig> = {
  name: 'gateway',
  config: gatewayConfig,
  defaultPort: 8080,
  servesHttp: true,
  async start({ bus, log, config }) {
    const keys = new KeyCache(config.KEY_CACHE_TTL_MS, undefined, config.KEY_NEGATIVE_CACHE_MS)
    const limiter = new RateLimiter({ ratePerSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST })
    const gossip = new UsageGossip(bus, limiter, config.RATE_LIMIT_SYNC_MS)
    const anonymousRate = config.UNAUTH_RATE_LIMIT_PER_SECOND
    const anonymous = { limiter: new RateLimiter({ ratePerSecond: anonymousRate, burst: 2 * anonymousRate }), limit: { ratePerSecond: anonymousRate, burst: 2 * anonymousRate } }
    const usage = new KeyUsageReporter(bus)
    // Every gateway hears every revocation (no queue group), so no cache outlives a revoke.
    bus.subscribe(identity.keyRevoked, ({ key_id }) => keys.evictKey(key_id))
    bus.subscribe(identity.tenantUpdated, ({ tenant_id }) => keys.evictTenant(tenant_id))
    if (!config.ADMIN_TOKEN) log.warn('ADMIN_TOKEN is not set: the operator API (/admin/v1) refuses every request')
    const app = createGatewayApp({ bus, log, keys, limiter, anonymous, usage, adminToken: config.ADMIN_TOKEN, trustProxy: parseTrustedProxies(config.TRUST_PROXY) })
    // Bun's own body limit answers with an empty 413; ours (input-guard.ts) streams and stops at
    // MAX_BODY_BYTES, so Bun's is set out of the way. reusePort off: a second platform on a taken
    // port must fail, not split the traffic with the first.
    listenOrFail('PORT', config.PORT, () => app.listen({ port: config.PORT, hostname: '0.0.0.0', maxRequestBodySize: BUN_BODY_LIMIT, reusePort: false }))
    const ops = listenOrFail('OPS_PORT', config.OPS_PORT, () => opsApp('gateway', { bus }).listen({ port: config.OPS_PORT, hostname: '0.0.0.0', reusePort: false }))
    log.info({ port: app.server?.port, ops_port: ops.server?.port }, 'gateway listening')
    return {
      port: app.server?.port,
      opsPort: ops.server?.port,
      async stop() {
        // Stop accepting, let in-flight requests finish, then stop background reporters.
        await app.server?.stop(false)
        await ops.server?.stop(true)
        usage.stop()
        gossip.stop()
        limiter.stop()
        anonymous.limiter.stop()
      },
    }
  },
}
