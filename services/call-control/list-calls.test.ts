/**
 * Call-record lists page by cursor as well as by offset (shared/list-page.ts), on real NATS and
 * PostgreSQL: a cursor walk visits exactly the offset walk's records for each filter (session,
 * status, both), and a cursor of another list is a 422.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { CALL_STATUSES } from '../../shared/contracts/calls'
import { newId } from '../../shared/ids'
import type { ServiceDefinition } from '../../shared/service'
import { client, createTenant, type Client } from '../../tests/support/http'
import { walkByCursor, walkByOffset } from '../../tests/support/paging'
import { startTestPlatform, type TestPlatform } from '../../tests/support/platform'
import { gatewayService } from '../gateway/service'
import { identityService } from '../identity/service'
import { callControlService } from './service'

let tp: TestPlatform
let http: Client
let key: string
beforeAll(async () => {
  tp = await startTestPlatform([identityService, callControlService, gatewayService] as unknown as ServiceDefinition[])
  http = client(tp.baseUrl)
  const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 10_000 })
  key = t.key
  const base = Date.now() - 2000 * 5
  const rows = Array.from({ length: 1600 }, (_, i) => ({
    id: newId('call', base + i * 5),
    session: `ses_S${i % 5}`,
    status: CALL_STATUSES[i % CALL_STATUSES.length],
  }))
  await tp.platform.database.rows(sql`
    insert into calls.calls (id, tenant_id, session_id, direction, status, from_party, to_party, from_phone, to_phone, masked_e164)
    select r.id, ${t.tenantId}, r.session, 'inbound', r.status, 'driver', 'customer', '+14155550001', '+14155550002', '+12025550100'
    from json_to_recordset((${JSON.stringify(rows)}::text)::json) as r(id text, session text, status text)`)
})
afterAll(() => tp?.stop())

describe('call lists by cursor', () => {
  test('a cursor walk visits the same records as an offset walk, newest first, for every filter', async () => {
    for (const q of ['/v1/calls', '/v1/calls?session_id=ses_S2', '/v1/calls?status=busy', '/v1/calls?status=completed&session_id=ses_S1']) {
      const byOffset = await walkByOffset(http, key, q)
      const byCursor = await walkByCursor(http, key, q, 61)
      expect(byOffset.length).toBeGreaterThan(0)
      expect(byCursor.ids).toEqual(byOffset)
      expect([...byOffset].sort().reverse()).toEqual(byOffset)
      expect(new Set(byCursor.totals)).toEqual(new Set([byOffset.length]))
    }
    expect((await walkByOffset(http, key, '/v1/calls')).length).toBe(1600)
    const busy = await http.get('/v1/calls?status=busy&limit=500', { key })
    expect(busy.body).toMatchObject({ total: 1600 / CALL_STATUSES.length, total_relation: 'eq', next_cursor: null })
    expect(busy.body.items.every((c: { status: string }) => c.status === 'busy')).toBe(true)
  })

  test("a session list's cursor, or garbage, is a 422 on cursor", async () => {
    const foreign = Buffer.from('v1:ses_01ABC').toString('base64url')
    for (const c of [foreign, 'zz', '%00']) {
      const r = await http.get(`/v1/calls?cursor=${c}`, { key })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['query', 'cursor'])
    }
  })
})
