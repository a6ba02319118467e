/** gateway: the only public HTTP surface. Stateless: keys are verified through identity. */
import { Type as T } from '@sinclair/typebox'
import { identity } from '../../shared/contracts/identity'
import type { ServiceDefinition } from '../../shared/service'
import { createGatewayApp } from './app'
import { KeyCache } from './key-cache'
import { KeyUsageReporter } from './key-usage'

import { RateLimiter } from './rate-limit'

const BUN_BODY_LIMIT = 2 ** 31 - 1

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
    // Bun's own body limit answers with an empty 413; ours (input-guard.ts) streams and stops at
    // MAX_BODY_BYTES, so Bun's is set out of the way.
    app.listen({ port: config.PORT, hostname: '0.0.0.0', maxRequestBodySize: BUN_BODY_LIMIT })
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
