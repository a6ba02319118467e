/** The per-call recorder on real PostgreSQL and the bus: what it writes, in how many steps, and what it announces. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Bus } from '../../shared/bus/bus'
import { connectBus } from '../../shared/bus/connect'
import { callEvents, type CallRecord } from '../../shared/contracts/calls'
import { openDatabase, type Database } from '../../shared/db/database'
import { newId } from '../../shared/ids'
import { createLogger } from '../../shared/log'
import { freshDatabase, NATS_URL, probeInfra, uniquePrefix, type TestDatabase } from '../../tests/support/infra'
import { CallRecorder } from './call-recorder'
import { loadCall } from './call-queries'
import type { CallRow } from './call-state'
import { CallWriter } from './call-writer'

let tdb: TestDatabase
let database: Database
let bus: Bus
const log = createLogger({ level: 'silent' })
const heard: CallRecord[] = []

/** The real writer, counting what it is asked to do. */
class CountingWriter extends CallWriter {
  inserts = 0
  updates = 0
  override insertLate(...a: Parameters<CallWriter['insertLate']>) {
    this.inserts++
    return super.insertLate(...a)
  }
  override update(before: CallRow, after: CallRow, d: Parameters<CallWriter['update']>[2]) {
    this.updates++
    return super.update(before, after, d)
  }
}

beforeAll(async () => {
  tdb = await freshDatabase()
  database = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
  await database.migrate('call-control', join(import.meta.dir, 'db/migrations'))
  const infra = await probeInfra()
  bus = await connectBus({ natsUrl: infra.nats ? NATS_URL : undefined, prefix: uniquePrefix('rec'), service: 'test', log })
  for (const status of ['initiated', 'ringing', 'answered', 'completed'] as const) bus.subscribe(callEvents[status], (r) => void heard.push(r))
  await Bun.sleep(50)
})
afterAll(async () => {
  await bus?.drain()
  await database?.close()
  await tdb?.drop()
})

const values = () => ({
  id: newId('call'),
  tenantId: 'ten_r',
  sessionId: 'ses_r',
  direction: 'inbound' as const,
  status: 'initiated' as const,
  fromParty: 'driver' as const,
  toParty: 'customer' as const,
  fromPhone: '+12025550111',
  toPhone: '+12025550122',
  maskedE164: '+12025550100',
})

async function eventsFor(id: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 2000
  while (heard.filter((r) => r.id === id).length < n && Date.now() < deadline) await Bun.sleep(10)
  return heard.filter((r) => r.id === id).map((r) => r.status)
}

describe('call recorder', () => {
  test('ringing and answer reported before the insert goes out are written with it: one insert, no update', async () => {
    const writer = new CountingWriter(database.db, log)
    const v = values()
    const rec = CallRecorder.begin({ db: database.db, bus, log, writer }, v)
    rec.ringing()
    rec.answered()
    await rec.flushed()
    expect([writer.inserts, writer.updates]).toEqual([1, 0])
    const row = (await loadCall(database.db, v.id))!
    expect(row.status).toBe('answered')
    expect(row.ringingAt).toBeInstanceOf(Date)
    expect(row.answeredAt).toBeInstanceOf(Date)
    // Every state is still announced, in order, once it is committed.
    expect(await eventsFor(v.id, 3)).toEqual(['initiated', 'ringing', 'answered'])

    rec.ended('completed', 'caller_hangup')
    await rec.flushed()
    expect(writer.updates).toBe(1)
    expect((await loadCall(database.db, v.id))!).toMatchObject({ status: 'completed', endReason: 'caller_hangup' })
    expect(await eventsFor(v.id, 4)).toEqual(['initiated', 'ringing', 'answered', 'completed'])
  })

  test('a change after the insert went out is an update from the inserted state', async () => {
    const writer = new CountingWriter(database.db, log)
    const v = values()
    const rec = CallRecorder.begin({ db: database.db, bus, log, writer }, v)
    await rec.flushed()
    expect((await loadCall(database.db, v.id))!.status).toBe('initiated')
    rec.ringing()
    await rec.flushed()
    expect([writer.inserts, writer.updates]).toEqual([1, 1])
    expect((await loadCall(database.db, v.id))!.status).toBe('ringing')
    expect(await eventsFor(v.id, 2)).toEqual(['initiated', 'ringing'])
  })
})
