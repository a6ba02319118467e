/** Set-up for the sessions and did tests: identity, did, sessions and gateway in one process on real NATS + PostgreSQL. */
import type { ServiceDefinition } from '../../shared/service'
import { didService } from '../../services/did/service'
import { gatewayService } from '../../services/gateway/service'
import { identityService } from '../../services/identity/service'
import { sessionsService, type SessionsRunning } from '../../services/sessions/service'
import { client, createTenant, type Client } from './http'
import { startTestPlatform, type TestPlatform } from './platform'

export const SESSION_SERVICES = [identityService, didService, sessionsService, gatewayService] as unknown as ServiceDefinition[]

export interface Fixture {
  tp: TestPlatform
  http: Client
  admin: string
  sessions: SessionsRunning
}

export async function startFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const tp = await startTestPlatform(SESSION_SERVICES, env)
  return { tp, http: client(tp.baseUrl), admin: tp.adminToken, sessions: tp.platform.running.get('sessions') as SessionsRunning }
}

/** `count` numbers `<prefix><start…>`, 4 digits each (`+1202555` + `0100` …): all valid E.164. */
export function numbers(prefix: string, start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(start + i).padStart(4, '0')}`)
}

/** A tenant (high rate limit) holding the given numbers, imported and assigned through the operator API. */
export async function tenantWith(f: Fixture, held: string[], opts: { number_sharing?: 'exclusive' | 'shared' } = {}) {
  const t = await createTenant(f.http, f.admin, { rate_limit_per_second: 10000, ...opts })
  if (held.length) {
    const imp = await f.http.post('/admin/v1/dids', { bearer: f.admin, body: { numbers: held } })
    if (imp.status !== 200) throw new Error(`import failed: ${imp.status} ${imp.text}`)
    for (const n of held) {
      const a = await f.http.post(`/admin/v1/dids/${n}/assign`, { bearer: f.admin, body: { tenant_id: t.tenantId } })
      if (a.status !== 200) throw new Error(`assign ${n} failed: ${a.status} ${a.text}`)
    }
  }
  return t
}
