/** The stale-call sweeper on a real database: it closes what a crashed instance left open, and only that. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Bus } from '../../shared/bus/bus'
import { InProcessTransport } from '../../shared/bus/in-process-transport'
import { callEvents } from '../../shared/contracts/calls'
import { openDatabase, type Database } from '../../shared/db/database'
import { newId } from '../../shared/ids'
import { createLogger } from '../../shared/log'
import { freshDatabase, type TestDatabase } from '../../tests/support/infra'
import { callIdAt, loadCall } from './call-queries'
import { foldChanges, planInsert } from './call-state'
import { CallWriter } from './call-writer'
import { StaleCallSweeper } from './stale-calls'

let tdb: TestDatabase
let database: Database
let writer: CallWriter
const log = createLogger({ level: 'silent' })
const HOUR = 3600_000

beforeAll(async () => {
  tdb = await freshDatabase()
  database = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
  await database.migrate('call-control', join(import.meta.dir, 'db/migrations'))
  writer = new CallWriter(database.db, log)
})
afterAll(async () => {
  await database?.close()
  await tdb?.drop()
})

async function callAt(ageMs: number, changes: Parameters<typeof foldChanges>[1] = []) {
  const created = new Date(Date.now() - ageMs)
  const p = planInsert({
    id: newId('call', created.getTime()),
    tenantId: 'ten_s',
    sessionId: 'ses_s',
    direction: 'inbound',
    status: 'initiated',
    fromParty: 'driver',
    toParty: 'customer',
    fromPhone: '+12025550111',
    toPhone: '+12025550122',
    maskedE164: '+12025550100',
    createdAt: created,
  })
  await writer.insert(p.row, p.deliveries)
  if (!changes.length) return p.row
  const f = foldChanges(p.row, changes)
  await writer.update(p.row, f.after, f.deliveries)
  return f.after
}

describe('stale call sweeper', () => {
  test('ids sort by creation time', () => {
    const t = new Date('2026-03-01T00:00:00Z')
    expect(newId('call', t.getTime() - 1) < callIdAt(t)).toBe(true)
    expect(newId('call', t.getTime()) >= callIdAt(t)).toBe(true)
    expect(newId('call', t.getTime() + 1) > callIdAt(t)).toBe(true)
  })

  test('closes open calls older than any live call can be; leaves young, ended and local ones', async () => {
    const answeredAt = new Date(Date.now() - 3 * HOUR + 60_000)
    const lostAnswered = await callAt(3 * HOUR, [{ kind: 'answered', at: answeredAt }])
    const lostRinging = await callAt(2 * HOUR, [{ kind: 'ringing', at: new Date(Date.now() - 2 * HOUR + 1000) }])
    const local = await callAt(2 * HOUR)
    const ended = await callAt(2 * HOUR, [{ kind: 'ended', status: 'busy', reason: 'callee_busy', at: new Date(Date.now() - 2 * HOUR + 2000) }])
    const young = await callAt(10 * 60_000)

    const bus = new Bus(new InProcessTransport(), { prefix: 't', service: 'test' })
    const heard: string[] = []
    for (const s of ['completed', 'failed'] as const) bus.subscribe(callEvents[s], (r) => void heard.push(`${r.id}:${r.status}`))
    const sweeper = new StaleCallSweeper({ db: database.db, writer, bus, log, maxAgeMs: HOUR, maxCallMs: 30 * 60_000, isLocal: (id) => id === local.id })
    await sweeper.sweep()

    const a = (await loadCall(database.db, lostAnswered.id))!
    expect(a.status).toBe('completed')
    expect(a.endReason).toStartWith('lost')
    // An answered call whose end was lost is taken to have run MAX_CALL_SECONDS at most.
    expect(a.durationSeconds).toBe(30 * 60)
    expect((await loadCall(database.db, lostRinging.id))!).toMatchObject({ status: 'failed', durationSeconds: 0 })
    expect((await loadCall(database.db, local.id))!.status).toBe('initiated')
    expect((await loadCall(database.db, ended.id))!.status).toBe('busy')
    expect((await loadCall(database.db, young.id))!.status).toBe('initiated')
    await Bun.sleep(10)
    expect(heard.sort()).toEqual([`${lostAnswered.id}:completed`, `${lostRinging.id}:failed`].sort())

    // A second sweep starts where the first ended: nothing is looked at twice.
    await sweeper.sweep()
    expect((await loadCall(database.db, local.id))!.status).toBe('initiated')
  })
})
