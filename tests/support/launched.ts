/** e2e harness: services as separate processes (infra/launch.ts) on a fresh database and prefix. */
import { launch, type LaunchOptions, type Launched } from '../../infra/launch'
import { freshDatabase, probeInfra, testEnv, type TestDatabase } from './infra'

/** Separate processes need a real bus and database; without them e2e files skip, loudly. */
const infra = await probeInfra()
export const e2eAvailable = infra.nats && infra.postgres
if (!e2eAvailable) console.warn('!!! e2e tests SKIPPED: they need real NATS and PostgreSQL (CI always has them)')

export interface E2E {
  launched: Launched
  env: Record<string, string>
  db: TestDatabase
  adminToken: string
  stop(): Promise<void>
}

export async function startE2E(opts: Omit<LaunchOptions, 'env'> & { env?: Record<string, string> } = {}): Promise<E2E> {
  const db = await freshDatabase()
  const env = await testEnv(db, opts.env ?? {})
  if (!env.NATS_URL || !env.DATABASE_URL) throw new Error('e2e tests need real NATS and PostgreSQL')
  const launched = await launch({ ...opts, env })
  return {
    launched,
    env,
    db,
    adminToken: env.ADMIN_TOKEN!,
    async stop() {
      await launched.stop()
      await db.drop()
      // Every e2e suite checks its services' logs: no phone number (parties' or masked) in clear.
      const leaks = phoneNumbersIn(launched.processes.flatMap((p) => p.lines.map((l) => `${p.name}: ${l}`)))
      if (leaks.length) throw new Error(`phone numbers in service logs (${leaks.length} lines), e.g.:\n${leaks.slice(0, 3).join('\n')}`)
    },
  }
}

/** Log lines that carry an E.164 number in clear (a masked one, `+1415***0123`, is fine). */
export function phoneNumbersIn(lines: string[]): string[] {
  return lines.filter((l) => /\+\d{8,15}(?!\d)/.test(l))
}
