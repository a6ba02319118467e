/** identity: tenants, API keys and their audit log. */
import { join } from 'node:path'
import { Type as T } from '@sinclair/typebox'
import { ConfigError, failOnConfigError } from '../../shared/config'
import { identity } from '../../shared/contracts/identity'
import type { ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
import { serveKeys } from './handlers/keys'
import { serveTenants } from './handlers/tenants'
import { serveWebhookSecret } from './handlers/webhook-secret'
import { IdempotencyStore } from '../../shared/idempotency'
import { idempotencyKeys } from './db/schema'
import { LastUsedWriter } from './last-used'

export const identityConfig = {
  /** Operator's bounds on a tenant's `recording_retention_days`. */
  RECORDING_RETENTION_MIN_DAYS: T.Integer({ default: 1, minimum: 1, maximum: 3650 }),
  RECORDING_RETENTION_MAX_DAYS: T.Integer({ default: 365, minimum: 1, maximum: 3650 }),
}

export const identityService: ServiceDefinition<typeof identityConfig> = {
  name: 'identity',
  config: identityConfig,
  defaultPort: 8081,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, log, config }) {
    if (!database) throw new Error('identity needs a database')
    const lastUsed = new LastUsedWriter(database, log)
    lastUsed.start()
    const idem = new IdempotencyStore(database.db, idempotencyKeys)
    // Keys are remembered for 24 h; forget older ones once an hour.
    const purge = setInterval(() => void idem.purge().catch((err) => log.warn({ err }, 'idempotency purge failed')), 3_600_000)
    bus.serve(identity.ping, async () => ({ service: 'identity', version: VERSION }))
    serveKeys(bus, database, lastUsed, idem)
    if (config.RECORDING_RETENTION_MIN_DAYS > config.RECORDING_RETENTION_MAX_DAYS) {
      failOnConfigError(() => {
        throw new ConfigError('RECORDING_RETENTION_MIN_DAYS', `must not exceed RECORDING_RETENTION_MAX_DAYS (${config.RECORDING_RETENTION_MAX_DAYS})`)
      })
    }
    serveTenants(bus, database, { min: config.RECORDING_RETENTION_MIN_DAYS, max: config.RECORDING_RETENTION_MAX_DAYS })
    serveWebhookSecret(bus, database)
    return {
      async stop() {
        clearInterval(purge)
        await lastUsed.stop()
      },
    }
  },
}
