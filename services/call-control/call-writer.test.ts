/** The batch writer on real PostgreSQL (or the embedded fallback): batching, guards, atomic callbacks. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { openDatabase, type Database } from '../../shared/db/database'
import { newId } from '../../shared/ids'
import { createLogger } from '../../shared/log'
import { freshDatabase, type TestDatabase } from '../../tests/support/infra'
import { loadCall } from './call-queries'
import { foldChanges, planInsert } from './call-state'
import { CallWriter, textArray } from './call-writer'

let tdb: TestDatabase
let database: Database
let writer: CallWriter
let batches = 0

beforeAll(async () => {
  tdb = await freshDatabase()
  database = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
  await database.migrate('call-control', join(import.meta.dir, 'db/migrations'))
  writer = new CallWriter(database.db, createLogger({ level: 'silent' }), () => batches++)
})
afterAll(async () => {
  await database?.close()
  await tdb?.drop()
})

const call = (over: Record<string, unknown> = {}) =>
  planInsert({
    id: newId('call'),
    tenantId: 'ten_w',
    sessionId: 'ses_w',
    direction: 'inbound',
    status: 'initiated',
    fromParty: 'driver',
    toParty: 'customer',
    fromPhone: '+12025550111',
    toPhone: '+12025550122',
    maskedE164: '+12025550100',
    ...over,
  })

describe('call writer', () => {
  test('many calls written at once share transactions, and every row lands', async () => {
    const planned = Array.from({ length: 300 }, () => call())
    const inserted = await Promise.all(planned.map((p) => writer.insert(p.row, p.deliveries)))
    expect(inserted.every(Boolean)).toBe(true)
    const ended = await Promise.all(
      planned.map((p) => {
        const f = foldChanges(p.row, [
          { kind: 'answered', at: new Date() },
          { kind: 'ended', status: 'completed', reason: 'caller_hangup', at: new Date() },
        ])
        return writer.update(p.row, f.after, f.deliveries)
      }),
    )
    expect(ended.every(Boolean)).toBe(true)
    const [r] = await database.rows<{ n: number }>(sql`select count(*)::int as n from calls.calls where tenant_id = 'ten_w' and status = 'completed' and duration_seconds = 0 and answered_at is not null`)
    expect(r!.n).toBe(300)
  })

  test('every column round-trips, the event list included', async () => {
    const p = call({ stateCallback: 'https://hooks.example/cb', stateCallbackEvents: ['answered', 'completed'], billId: 'b"1\\', orderId: 'o-1', sipCallId: 'abc@host' })
    await writer.insert(p.row, p.deliveries)
    expect(await loadCall(database.db, p.row.id)).toEqual(p.row)
    expect(textArray(['a"b', 'c\\d'])).toBe('{"a\\"b","c\\\\d"}')
  })

  test('an insert retried after it committed is not an error', async () => {
    const p = call()
    expect(await writer.insert(p.row, p.deliveries)).toBe(true)
    expect(await writer.insert(p.row, p.deliveries)).toBe(false)
  })

  test('a change written over a state the row has left is refused, with its callbacks', async () => {
    const p = call({ stateCallback: 'https://hooks.example/cb' })
    await writer.insert(p.row, p.deliveries)
    const ringing = foldChanges(p.row, [{ kind: 'ringing', at: new Date() }])
    expect(await writer.update(p.row, ringing.after, ringing.deliveries)).toBe(true)
    // A stale writer still thinks the call is `initiated`:
    const stale = foldChanges(p.row, [{ kind: 'ended', status: 'failed', reason: 'lost', at: new Date() }])
    expect(await writer.update(p.row, stale.after, stale.deliveries)).toBe(false)
    expect((await loadCall(database.db, p.row.id))?.status).toBe('ringing')
    const seqs = await database.rows<{ sequence: number; event: string }>(sql`select sequence, event from calls.callback_deliveries where call_id = ${p.row.id} order by sequence`)
    expect(seqs).toEqual([
      { sequence: 1, event: 'initiated' },
      { sequence: 2, event: 'ringing' },
    ])
    expect(batches).toBeGreaterThan(0)
  })
})
