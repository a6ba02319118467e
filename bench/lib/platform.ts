/**
 * The platform under benchmark: services as separate processes (infra/launch.ts) on the real
 * NATS and PostgreSQL, against a fresh database and a unique BUS_PREFIX, with one tenant whose
 * rate limit is high enough not to throttle the load. Benchmarks never fall back to the
 * embedded database or bus: figures on PGlite would say nothing about production.
 */
import { randomBytes } from 'node:crypto'
import { launch, type Launched, type ServiceName } from '../../infra/launch'
import { randomBase62 } from '../../shared/api-key'
import { freshDatabase, NATS_URL, probeInfra, uniquePrefix, type TestDatabase } from '../../tests/support/infra'

export interface BenchPlatform {
  gatewayUrl: string
  apiKey: string
  tenantId: string
  adminToken: string
  env: Record<string, string>
  databaseUrl: string
  launched: Launched
  stop(): Promise<void>
}

export async function startBenchPlatform(opts: {
  services: ServiceName[]
  /** The tenant's `rate_limit_per_second` (the contract caps it at 10,000; burst is twice it). */
  tenantRateLimit?: number
  logLevel?: string
  extraEnv?: Record<string, string>
}): Promise<BenchPlatform> {
  const infra = await probeInfra()
  if (!infra.postgres || !infra.nats) throw new Error(`benchmarks need real PostgreSQL and NATS (postgres ${infra.postgres}, nats ${infra.nats})`)
  const db: TestDatabase = await freshDatabase()
  const adminToken = `adm_${randomBase62(32)}`
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: db.url!,
    NATS_URL,
    BUS_PREFIX: uniquePrefix('bench'),
    ADMIN_TOKEN: adminToken,
    // identity seals webhook secrets at rest with it (required outside all-in-one).
    SECRETS_KEY: randomBytes(32).toString('base64'),
    // Parallel runs must not fight over the gateway's ops port.
    OPS_PORT: '0',
    // info is the production default; per-request lines are debug, so this is what production pays.
    LOG_LEVEL: opts.logLevel ?? 'info',
    ...opts.extraEnv,
  }
  let launched: Launched | undefined
  try {
    launched = await launch({ env, services: opts.services, ports: 'free' })
    const gatewayUrl = launched.gatewayUrls[0]!
    const r = await fetch(`${gatewayUrl}/admin/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', rate_limit_per_second: opts.tenantRateLimit ?? 10_000 }),
    })
    if (r.status !== 200) throw new Error(`tenant create failed: ${r.status} ${await r.text()}`)
    const body = (await r.json()) as { tenant: { id: string }; api_key: { api_key: string } }
    const running = launched
    return {
      gatewayUrl,
      apiKey: body.api_key.api_key,
      tenantId: body.tenant.id,
      adminToken,
      env,
      databaseUrl: db.url!,
      launched: running,
      async stop() {
        await running.stop()
        await db.drop()
      },
    }
  } catch (e) {
    await launched?.stop('SIGKILL')
    await db.drop()
    throw e
  }
}
