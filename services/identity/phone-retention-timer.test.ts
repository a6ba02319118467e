/**
 * The phone-retention purges run by themselves: sessions and call-control each started with
 * `PHONE_RETENTION_INTERVAL_S=1` anonymise an old ended session and call without being asked
 * (privacy.test.ts drives single passes for the rules).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { newId } from '../../shared/ids'
import type { ServiceDefinition } from '../../shared/service'
import { eventually } from '../../tests/support/eventually'
import { client, type Client } from '../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { numbers, tenantWith, type Fixture } from '../../tests/support/sessions-platform'
import { callControlService } from '../call-control/service'
import { didService } from '../did/service'
import { gatewayService } from '../gateway/service'
import { sessionsService } from '../sessions/service'
import { identityService } from './service'

let tp: TestPlatform
let http: Client
beforeAll(async () => {
  tp = await startTestPlatform([identityService, didService, sessionsService, callControlService, gatewayService] as unknown as ServiceDefinition[], { PHONE_RETENTION_INTERVAL_S: '1' })
  http = client(tp.baseUrl)
}, 90_000) // five services' migrations: slow on the embedded PGlite fallback
afterAll(() => tp?.stop())

test('an ended session and call past retention are anonymised by the services’ own timers', async () => {
  const t = await tenantWith({ http, admin: tp.adminToken } as unknown as Fixture, numbers('+1202558', 100, 1))
  const s = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155570001', customer_phone: '+14155570002' } })
  await http.post(`/v1/sessions/${s.body.id}/complete`, { key: t.key })
  await tp.platform.database.rows(sql`update sessions.sessions set ended_at = now() - interval '91 days' where id = ${s.body.id}`)
  const callId = newId('call')
  await tp.platform.database.rows(sql`
    insert into calls.calls (id, tenant_id, direction, status, from_party, to_party, from_phone, to_phone, masked_e164, ended_at)
    values (${callId}, ${t.tenantId}, 'inbound', 'completed', 'driver', 'customer', '+14155570001', '+14155570002', '+12025580100', now() - interval '91 days')`)
  const session = await eventually(
    async () => (await http.get(`/v1/sessions/${s.body.id}`, { key: t.key })).body,
    (b) => b.driver_phone === '[redacted]',
    15_000,
  )
  expect(session).toMatchObject({ driver_phone: '[redacted]', customer_phone: '[redacted]' })
  const call = await eventually(
    async () => (await http.get(`/v1/calls/${callId}`, { key: t.key })).body,
    (b) => b.from_phone === '[redacted]',
    15_000,
  )
  expect(call).toMatchObject({ from_phone: '[redacted]', to_phone: '[redacted]' })
}, 40_000)
