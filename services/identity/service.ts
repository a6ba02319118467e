/** identity: tenants, API keys and their audit log. */
import { join } from 'node:path'
import { Type as T } from '@sinclair/typebox'
import { ConfigError, failOnConfigError } from '../../shared/config'
import { identity } from '../../shared/contracts/identity'
import { checkedString } from '../../shared/config'
import { parseKey, SecretBox } from '../../shared/secret-box'
import { WebhookSecretStore } from './webhook-secret-store'
import type { ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
import { serveKeys } from './handlers/keys'
import { servePrivacy } from './handlers/privacy'
import { serveTenants } from './handlers/tenants'
import { serveWebhookSecret } from './handlers/webhook-secret'
import { IdempotencyStore } from '../../shared/idempotency'
import { idempotencyKeys } from './db/schema'
import { LastUsedWriter } from './last-used'

export const identityConfig = {
  /** Operator's bounds on a tenant's `recording_retention_days`. */
  RECORDING_RETENTION_MIN_DAYS: T.Integer({ default: 1, minimum: 1, maximum: 3650 }),
  RECORDING_RETENTION_MAX_DAYS: T.Integer({ default: 365, minimum: 1, maximum: 3650 }),
  /** Seals secrets at rest (AES-256-GCM): 32 bytes, base64 or hex. Generated into DATA_DIR by all-in-one. */
  SECRETS_KEY: checkedString(keyProblem, { description: 'must be 32 bytes as base64 or hex' }),
  /** Keys SECRETS_KEY replaced, comma-separated: still opened, and resealed under SECRETS_KEY at start. */
  SECRETS_KEY_PREVIOUS: checkedString((v) => v.split(',').map((s) => s.trim()).filter(Boolean).map(keyProblem).find(Boolean), { default: '' }),
  /** How long a rotated-out webhook secret stays valid (callbacks signed with both meanwhile). */
  WEBHOOK_SECRET_GRACE_HOURS: T.Number({ default: 24, minimum: 0, maximum: 720, description: 'must be a number of hours from 0 to 720' }),
}

function keyProblem(v: string): string | undefined {
  try {
    parseKey(v)
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

export const identityService: ServiceDefinition<typeof identityConfig> = {
  name: 'identity',
  config: identityConfig,
  defaultPort: 8081,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, log, config }) {
    if (!database) throw new Error('identity needs a database')
    const secrets = new WebhookSecretStore(database.db, SecretBox.fromConfig(config.SECRETS_KEY, config.SECRETS_KEY_PREVIOUS), config.WEBHOOK_SECRET_GRACE_HOURS * 3_600_000)
    const resealed = await secrets.reseal()
    if (resealed) log.info({ tenants: resealed }, 'webhook secrets sealed under the current SECRETS_KEY')
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
    serveTenants(bus, database, idem, secrets, { min: config.RECORDING_RETENTION_MIN_DAYS, max: config.RECORDING_RETENTION_MAX_DAYS })
    serveWebhookSecret(bus, secrets, idem)
    servePrivacy(bus, database, idem)
    return {
      async stop() {
        clearInterval(purge)
        await lastUsed.stop()
      },
    }
  },
}
