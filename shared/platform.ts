/**
 * Several services in one process, sharing one bus and one database: the all-in-one mode
 * (`bun start`, in-process bus and PGlite by default) and the in-process integration tests
 * (real NATS and PostgreSQL). Each service still talks to the others only over the bus.
 */
import type { Bus } from './bus/connect'
import type { Database } from './db/database'
import { serviceLogger } from './log'
import { connectBusOrFail, connectDatabase, loadServiceConfig, type RunningService, type ServiceDefinition } from './service'

export interface Platform {
  bus: Bus
  database: Database
  running: Map<string, RunningService>
  /** The gateway's HTTP port, when a gateway is among the services. */
  port?: number
  /** The gateway's ops port (`/ready`, `/metrics`). */
  opsPort?: number
  stop(): Promise<void>
}

export async function startPlatform(defs: ServiceDefinition[], env: Record<string, string | undefined> = process.env): Promise<Platform> {
  const common = loadServiceConfig(defs[0]!, env)
  const log = serviceLogger('platform', common.LOG_LEVEL)
  const database = await connectDatabase(common)
  for (const def of defs) if (def.migrations) await database.migrate(def.name, def.migrations)
  const bus = await connectBusOrFail(common, 'platform', log)
  const running = new Map<string, RunningService>()
  for (const def of defs) {
    const config = loadServiceConfig(def, env)
    running.set(def.name, await def.start({ bus, database: def.migrations ? database : undefined, log: serviceLogger(def.name, config.LOG_LEVEL), config: config as never }))
  }
  const port = [...running.values()].find((r) => r.port !== undefined)?.port
  const opsPort = [...running.values()].find((r) => r.opsPort !== undefined)?.opsPort
  log.info({ services: defs.map((d) => d.name), bus: bus.transport.kind, database: database.kind, port }, 'platform started')
  return {
    bus,
    database,
    running,
    port,
    opsPort,
    async stop() {
      // The gateway first (stop taking requests), then the services behind it.
      for (const def of [...defs].reverse()) await running.get(def.name)?.stop()
      await bus.drain()
      await database.close()
    },
  }
}
