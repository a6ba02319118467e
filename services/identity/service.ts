/** identity: tenants, API keys and their audit log. */
import { join } from 'node:path'
import { identity } from '../../shared/contracts/identity'
import type { ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
import { serveKeys } from './handlers/keys'
import { serveTenants } from './handlers/tenants'
import { serveWebhookSecret } from './handlers/webhook-secret'
import { IdempotencyStore } from '../../shared/idempotency'
import { idempotencyKeys } from './db/schema'
import { LastUsedWriter } from './last-used'

export const identityService: ServiceDefinition = {
  name: 'identity',
  config: {},
  defaultPort: 8081,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, log }) {
    if (!database) throw new Error('identity needs a database')
    const lastUsed = new LastUsedWriter(database, log)
    lastUsed.start()
    const idem = new IdempotencyStore(database.db, idempotencyKeys)
    // Keys are remembered for 24 h; forget older ones once an hour.
    const purge = setInterval(() => void idem.purge().catch((err) => log.warn({ err }, 'idempotency purge failed')), 3_600_000)
    bus.serve(identity.ping, async () => ({ service: 'identity', version: VERSION }))
    serveKeys(bus, database, lastUsed, idem)
    serveTenants(bus, database)
    serveWebhookSecret(bus, database)
    return {
      async stop() {
        clearInterval(purge)
        await lastUsed.stop()
      },
    }
  },
}
