/** did: the DID pool, assignments to tenants, suspension and cool-down. */
import { join } from 'node:path'
import { Type as T } from '@sinclair/typebox'
import { did } from '../../shared/contracts/did'
import type { ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
import { IdempotencyStore } from '../../shared/idempotency'
import { idempotencyKeys } from './db/schema'
import { serveAdmin } from './handlers/admin'
import { serveTenant } from './handlers/tenant'

export const didConfig = {
  /** How long a released number rests before it can be assigned again (fractions allowed). */
  DID_COOLDOWN_HOURS: T.Number({ default: 24, minimum: 0, maximum: 8760, description: 'must be a number of hours from 0 to 8760' }),
}

export const didService: ServiceDefinition<typeof didConfig> = {
  name: 'did',
  config: didConfig,
  defaultPort: 8082,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, config, log }) {
    if (!database) throw new Error('did needs a database')
    const idem = new IdempotencyStore(database.db, idempotencyKeys)
    // Keys are remembered for 24 h; forget older ones once an hour.
    const purge = setInterval(() => void idem.purge().catch((err) => log.warn({ err }, 'idempotency purge failed')), 3_600_000)
    bus.serve(did.ping, async () => ({ service: 'did', version: VERSION }))
    serveTenant(bus, database)
    serveAdmin(bus, database, config.DID_COOLDOWN_HOURS, idem)
    return { stop: async () => clearInterval(purge) }
  },
}
