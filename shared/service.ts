/**
 * How a service boots and stops, the same in both ways to run. A service is a `start(deps)`
 * function that registers its bus handlers and returns how to stop; the runtime gives it a
 * database (with its migrations applied), a bus and a logger. Standalone, it also serves
 * `/health`, `/ready` and `/metrics` and shuts down cleanly on SIGTERM.
 */
import { Type as T, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { connectBus, type Bus } from './bus/connect'
import { CommonConfig, failOnConfigError, parseConfig } from './config'
import { openDatabase, type Database } from './db/database'
import { flushLogs, serviceLogger, type Logger } from './log'
import { registry } from './metrics'
import { exitOnStartupError, listenOrFail, step, withoutPassword } from './startup'
import { VERSION } from './version'

const CommonSchema = T.Object(CommonConfig)
export type CommonConfigValues = Static<typeof CommonSchema> & { PORT: number }
/** A service's parsed configuration: the common variables and its own. */
export type ConfigOf<P extends TProperties> = CommonConfigValues & Static<TObject<P>>

export interface ServiceDeps<C = unknown> {
  bus: Bus
  /** Absent for stateless services (the gateway). */
  database?: Database
  log: Logger
  config: C
}

export interface RunningService {
  /** The HTTP port, for services that serve HTTP themselves (the gateway). */
  port?: number
  /** Where `/ready` and `/metrics` are served when the service's own HTTP is public (the gateway's OPS_PORT). */
  opsPort?: number
  /** Extra readiness checks beyond the bus and database (e.g. drachtio connected). */
  ready?(): Promise<Record<string, boolean>>
  /** Stop taking work and finish what is in flight (the bus is drained after this). */
  stop(): Promise<void>
}

export interface ServiceDefinition<P extends TProperties = TProperties> {
  name: string
  /** Service-specific variables, parsed with the common ones. */
  config: P
  /** Folder of generated SQL migrations; absent for stateless services. */
  migrations?: string
  defaultPort: number
  /** The service serves its own HTTP (with /ready and /metrics) on PORT: no ops server. */
  servesHttp?: boolean
  start(deps: ServiceDeps<ConfigOf<P>>): Promise<RunningService>
}

export function loadServiceConfig<P extends TProperties>(def: ServiceDefinition<P>, env: Record<string, string | undefined> = process.env): ConfigOf<P> {
  const schema = T.Object({ ...CommonConfig, PORT: T.Integer({ default: def.defaultPort, minimum: 0, maximum: 65535 }), ...def.config }) as TObject
  return failOnConfigError(() => parseConfig(schema, env)) as ConfigOf<P>
}

/** Runs one service as its own process against NATS and PostgreSQL (production shape). */
export async function runStandalone<P extends TProperties>(def: ServiceDefinition<P>): Promise<void> {
  const config = loadServiceConfig(def)
  const log = serviceLogger(def.name, config.LOG_LEVEL)
  if (!config.NATS_URL) {
    process.stderr.write(`config error: NATS_URL is required when ${def.name} runs alone (use \`bun start\` for all-in-one)\n`)
    process.exit(2)
  }
  if (def.migrations && !config.DATABASE_URL) {
    process.stderr.write(`config error: DATABASE_URL is required when ${def.name} runs alone (use \`bun start\` for all-in-one)\n`)
    process.exit(2)
  }
  await exitOnStartupError(async () => {
    const database = def.migrations ? await connectDatabase(config) : undefined
    if (database && def.migrations) await database.migrate(def.name, def.migrations)
    const bus = await connectBusOrFail(config, def.name, log)
    const running = await def.start({ bus, database, log, config })
    const http = def.servesHttp ? undefined : listenOrFail('PORT', config.PORT, () => opsApp(def.name, { bus, database, running }).listen({ port: config.PORT, hostname: '0.0.0.0', reusePort: false }))
    log.info({ port: running.port ?? http?.server?.port, bus: bus.transport.kind, database: database?.kind ?? 'none' }, `${def.name} started`)
    onShutdown(log, async () => {
      await running.stop()
      await bus.drain()
      await database?.close()
      await http?.stop()
    })
  })
}

/** Opens the database, failing in one line that names DATABASE_URL (without its password). */
export async function connectDatabase(config: CommonConfigValues): Promise<Database> {
  if (!config.DATABASE_URL) return openDatabase({ dataDir: config.DATA_DIR, poolMax: config.DB_POOL_MAX })
  return step('PostgreSQL', 'DATABASE_URL', withoutPassword(config.DATABASE_URL), async () => {
    const database = await openDatabase({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX })
    // The pool connects lazily: make the first connection now, so an unreachable server is named here.
    await database.ping().catch(async (e) => {
      await database.close().catch(() => undefined)
      throw e
    })
    return database
  })
}

/** Connects the bus, failing in one line that names NATS_URL. */
export async function connectBusOrFail(config: CommonConfigValues, service: string, log: Logger): Promise<Bus> {
  const auth = {
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    credsFile: config.NATS_CREDS_FILE,
    tlsCaFile: config.NATS_TLS_CA_FILE,
    tlsCertFile: config.NATS_TLS_CERT_FILE,
    tlsKeyFile: config.NATS_TLS_KEY_FILE,
  }
  const connect = () => connectBus({ natsUrl: config.NATS_URL, prefix: config.BUS_PREFIX, service, timeoutMs: config.BUS_TIMEOUT_MS, log, auth })
  return config.NATS_URL ? step('NATS', 'NATS_URL', config.NATS_URL, connect) : connect()
}

/** `/health` (the process is up), `/ready` (its dependencies answer), `/metrics` (Prometheus). */
export function opsApp(name: string, parts: { bus: Bus; database?: Database; running?: RunningService }) {
  return new Elysia()
    .get('/health', () => ({ status: 'ok', service: name, version: VERSION }))
    .get('/ready', async ({ set }) => {
      const checks = await readiness(parts)
      const ok = Object.values(checks).every(Boolean)
      set.status = ok ? 200 : 503
      return { status: ok ? 'ready' : 'not_ready', service: name, checks }
    })
    .get('/metrics', async ({ set }) => {
      set.headers['content-type'] = registry.contentType
      return registry.metrics()
    })
}

export async function readiness(parts: { bus: Bus; database?: Database; running?: RunningService }): Promise<Record<string, boolean>> {
  const checks: Record<string, boolean> = { bus: parts.bus.isConnected() }
  if (parts.database) {
    checks.database = await Promise.race([
      parts.database.ping().then(
        () => true,
        () => false,
      ),
      Bun.sleep(1000).then(() => false),
    ])
  }
  return { ...checks, ...((await parts.running?.ready?.()) ?? {}) }
}

/** SIGTERM/SIGINT: run `stop` once, then exit 0 (1 if stopping failed). */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false
  const handler = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    stop()
      .then(() => {
        log.info('stopped')
        flushLogs()
        setTimeout(() => process.exit(0), 50)
      })
      .catch((err) => {
        log.error({ err }, 'shutdown failed')
        flushLogs()
        setTimeout(() => process.exit(1), 50)
      })
  }
  process.on('SIGTERM', () => handler('SIGTERM'))
  process.on('SIGINT', () => handler('SIGINT'))
}
