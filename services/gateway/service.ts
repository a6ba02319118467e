/** gateway: the only public HTTP surface. Stateless: keys are verified through identity. */
import { Type as T } from '@sinclair/typebox'
import { identity } from '../../shared/contracts/identity'
import type { ServiceDefinition } from '../../shared/service'
import { createGatewayApp } from './app'
import { KeyCache } from './key-cache'
import { KeyUsageReporter } from './key-usage'
import { MAX_BODY_BYTES } from './input-guard'
import { RateLimiter } from './rate-limit'

/**
 * What Bun itself accepts before our handlers see a request. Endpoints bound their bodies
 * themselves (JSON 64 KiB, prompt uploads 512 KiB) with an answer in our error shape; this only
 * stops absurd uploads at the socket. 8 MiB, so an oversize prompt still gets the 422 naming its size.
 */
const SERVER_BODY_LIMIT = Math.max(MAX_BODY_BYTES * 4, 8 * 1024 * 1024)

export const gatewayConfig = {
  ADMIN_TOKEN: T.Optional(T.String({ minLength: 16, description: 'must be at least 16 characters' })),
  RATE_LIMIT_PER_SECOND: T.Integer({ default: 20, minimum: 1, maximum: 100000 }),
  RATE_LIMIT_BURST: T.Integer({ default: 40, minimum: 1, maximum: 200000 }),
  KEY_CACHE_TTL_MS: T.Integer({ default: 5000, minimum: 0, maximum: 5000 }),
  TRUST_PROXY: T.Boolean({ default: false }),
}

export const gatewayService: ServiceDefinition<typeof gatewayConfig> = {
  name: 'gateway',
  config: gatewayConfig,
  defaultPort: 8080,
  servesHttp: true,
  async start({ bus, log, config }) {
    const keys = new KeyCache(config.KEY_CACHE_TTL_MS)
    const limiter = new RateLimiter({ ratePerSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST })
    const usage = new KeyUsageReporter(bus)
    // Every gateway hears every revocation (no queue group), so no cache outlives a revoke.
    bus.subscribe(identity.keyRevoked, ({ key_id }) => keys.evictKey(key_id))
    bus.subscribe(identity.tenantUpdated, ({ tenant_id }) => keys.evictTenant(tenant_id))
    if (!config.ADMIN_TOKEN) log.warn('ADMIN_TOKEN is not set: the operator API (/admin/v1) refuses every request')
    const app = createGatewayApp({ bus, log, keys, limiter, usage, adminToken: config.ADMIN_TOKEN, trustProxy: config.TRUST_PROXY })
    app.listen({ port: config.PORT, hostname: '0.0.0.0', maxRequestBodySize: SERVER_BODY_LIMIT })
    log.info({ port: app.server?.port }, 'gateway listening')
    return {
      port: app.server?.port,
      async stop() {
        // Stop accepting, let in-flight requests finish, then stop background reporters.
        await app.server?.stop(false)
        usage.stop()
        limiter.stop()
      },
    }
  },
}
