/** sessions: masked-number sessions, their allocation, expiry, and the routing decision for calls. */
import { join } from 'node:path'
import { Type as T } from '@sinclair/typebox'
import { requireTenant } from '../../shared/bus/bus'
import { sessions } from '../../shared/contracts/sessions'
import { IdempotencyStore } from '../../shared/idempotency'
import { PhoneRetentionPurge } from '../../shared/phone-retention'
import type { RunningService, ServiceDefinition } from '../../shared/service'
import { VERSION } from '../../shared/version'
import { idempotencyKeys } from './db/schema'
import { Destinations } from './destinations'
import { followNumbers } from './handlers/numbers'
import { followPeers } from './handlers/peers'
import { serveSessions } from './handlers/sessions'
import { countOpenSessionsWith } from './metrics'
import { NumberDirectory } from './number-directory'
import { anonymiseSessionsPastRetention, eraseSessionPhone } from './phone-retention'
import { RouteIndex } from './route-index'
import { SessionLifecycle } from './session-lifecycle'
import { SessionStore } from './session-store'
import { Sweeper } from './sweeper'
import { TenantSettings } from './tenant-settings'

export const sessionsConfig = {
  /** How often lapsed sessions are marked expired and announced. */
  SESSION_SWEEP_INTERVAL_MS: T.Integer({ default: 5000, minimum: 10, maximum: 600_000 }),
  /** How long the read model trusts a tenant's numbers before refreshing them from did (events keep it current meanwhile). */
  NUMBERS_CACHE_TTL_MS: T.Integer({ default: 30_000, minimum: 0, maximum: 3_600_000 }),
  /** How long a tenant's number-sharing mode is cached (identity.tenant.updated drops it at once). */
  TENANT_CACHE_TTL_MS: T.Integer({ default: 10_000, minimum: 0, maximum: 600_000 }),
  /** A second pass over a released number's sessions, after this delay. */
  RELEASE_RECHECK_MS: T.Integer({ default: 2000, minimum: 0, maximum: 600_000 }),
  /**
   * How long `sessions.route` trusts its in-memory index of open sessions before reading the
   * database again (events keep it current meanwhile); 0 = always read the database.
   */
  ROUTE_INDEX_TTL_MS: T.Integer({ default: 60_000, minimum: 0, maximum: 3_600_000 }),
  /** How often ended sessions past their tenant's `phone_retention_days` have their phone numbers anonymised. */
  PHONE_RETENTION_INTERVAL_S: T.Integer({ default: 3600, minimum: 1, maximum: 86_400 }),
  /** Region for numbers in national format in `sessions.route` (SIP headers). */
  DEFAULT_REGION: T.Optional(T.String({ pattern: '^[A-Z]{2}$', description: 'must be an ISO 3166-1 alpha-2 country code like US' })),
}

export interface SessionsRunning extends RunningService {
  sweeper: Sweeper
  lifecycle: SessionLifecycle
  index: RouteIndex
  phoneRetention: PhoneRetentionPurge
}

export const sessionsService: ServiceDefinition<typeof sessionsConfig> = {
  name: 'sessions',
  config: sessionsConfig,
  defaultPort: 8083,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, log, config }): Promise<SessionsRunning> {
    if (!database) throw new Error('sessions needs a database')
    const store = new SessionStore(database)
    const directory = new NumberDirectory(bus, config.NUMBERS_CACHE_TTL_MS, log)
    const settings = new TenantSettings(bus, config.TENANT_CACHE_TTL_MS)
    const index = new RouteIndex(config.ROUTE_INDEX_TTL_MS)
    const lifecycle = new SessionLifecycle(bus, store, directory, settings, log, index, new Destinations(settings, directory), config.DEFAULT_REGION)
    const idem = new IdempotencyStore(database.db, idempotencyKeys)
    bus.serve(sessions.ping, async () => ({ service: 'sessions', version: VERSION }))
    serveSessions(bus, lifecycle, idem)
    const unfollow = followNumbers(bus, directory, settings, lifecycle, config.RELEASE_RECHECK_MS)
    followPeers(bus, index, lifecycle.allocator)
    bus.serve(sessions.erasePhone, ({ phone }, ctx) => eraseSessionPhone(store, lifecycle, requireTenant(ctx), phone))
    const phoneRetention = new PhoneRetentionPurge({
      log,
      intervalMs: config.PHONE_RETENTION_INTERVAL_S * 1000,
      pass: (now) => anonymiseSessionsPastRetention(store, (t) => settings.phoneRetentionDays(t), now),
    })
    phoneRetention.start()
    const sweeper = new Sweeper(config.SESSION_SWEEP_INTERVAL_MS, () => lifecycle.sweep(), () => idem.purge(), log)
    sweeper.start()
    const uncount = countOpenSessionsWith(() => store.countOpen(new Date()))
    return {
      sweeper,
      lifecycle,
      index,
      phoneRetention,
      async stop() {
        unfollow()
        await phoneRetention.stop()
        uncount()
        await sweeper.stop()
      },
    }
  },
}
