/**
 * Integration harness: services started in this process (one bus connection, one database) on
 * real NATS and PostgreSQL with a fresh database and bus prefix, and a typed HTTP client.
 */
import type { ServiceDefinition } from '../../shared/service'
import { startPlatform, type Platform } from '../../shared/platform'
import { freshDatabase, testEnv, type TestDatabase } from './infra'

export interface TestPlatform {
  platform: Platform
  env: Record<string, string>
  baseUrl: string
  adminToken: string
  db: TestDatabase
  stop(): Promise<void>
}

export async function startTestPlatform(services: ServiceDefinition[], extraEnv: Record<string, string> = {}): Promise<TestPlatform> {
  const db = await freshDatabase()
  const env = await testEnv(db, { PORT: '0', ...extraEnv })
  const platform = await startPlatform(services, env)
  return {
    platform,
    env,
    db,
    baseUrl: `http://127.0.0.1:${platform.port}`,
    adminToken: env.ADMIN_TOKEN!,
    async stop() {
      await platform.stop()
      await db.drop()
    },
  }
}
