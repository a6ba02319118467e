/** did: the DID pool, assignments to tenants, suspension and cool-down. */
import { join } from 'node:path'
import { Type as T } from '@sinclair/typebox'
import { did } from '../../shared/contracts/did'
import type { ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
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
  async start({ bus, database, config }) {
    if (!database) throw new Error('did needs a database')
    bus.serve(did.ping, async () => ({ service: 'did', version: VERSION }))
    serveTenant(bus, database)
    serveAdmin(bus, database, config.DID_COOLDOWN_HOURS)
    return { stop: async () => undefined }
  },
}
