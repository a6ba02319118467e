/**
 * The recordings worker against a real PostgreSQL: a job converts, stores sealed, fills in
 * duration/size/checksum, owes its `recording_ready` callback, and deletes the pcap; a worker
 * process killed mid-conversion (blocked reading the pcap, a FIFO) leaves a job the next worker
 * finishes once the lease runs out.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { openDatabase, type Database } from '../../../shared/db/database'
import { serviceLogger } from '../../../shared/log'
import { newId } from '../../../shared/ids'
import { dominantTone } from '../../../tests/support/audio'
import { recordedCall as recorded, writeRtpengineFiles } from './test-fixtures'
import { eventually } from '../../../tests/support/eventually'
import { freshDatabase, type TestDatabase } from '../../../tests/support/infra'
import { callbackDeliveries, calls, recordings } from '../db/schema'
import { FsObjectStore } from './object-store'
import { RecordingStore } from './recording-store'
import { RecordingVault } from './recording-vault'
import { readPcmWav } from './rtp-to-wav'
import { AudioSealer } from './sealed-audio'
import { RecordingsWorker } from './worker'

const RTPENGINE = '127.0.0.1:22222'
const key = randomBytes(32)

describe('recordings worker (real PostgreSQL)', () => {
  let tdb: TestDatabase
  let database: Database
  let dir: string
  beforeAll(async () => {
    tdb = await freshDatabase()
    database = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
    await database.migrate('call-control', join(import.meta.dir, '../db/migrations'))
    dir = mkdtempSync(join(tmpdir(), 'rec-worker-'))
  })
  const rowOf = async (id: string) => (await database.db.select().from(recordings).where(eq(recordings.id, id)))[0]
  afterAll(async () => {
    await database.close()
    await tdb.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('converts, stores sealed, fills duration/size/sha256 and delete_after, owes recording_ready, deletes the pcap', async () => {
    const recDir = join(dir, 'a')
    const storeDir = join(dir, 'store-a')
    const answeredAt = new Date(Date.now() - 10_000)
    const endedAt = new Date(answeredAt.getTime() + 4000)
    const job = await recorded(database, RTPENGINE, { tenantId: 'ten_A', answeredAt, endedAt, callback: true })
    const files = writeRtpengineFiles(recDir, job.mediaCallId, answeredAt.getTime(), 4)
    const vault = new RecordingVault(new FsObjectStore(storeDir), new AudioSealer(key))
    const worker = new RecordingsWorker({ database, vault, log: serviceLogger('test', 'warn'), recordingDir: recDir, rtpengines: [RTPENGINE], retentionDays: async () => 7, pollMs: 50, staleRecordingMs: 3_600_000 })
    worker.start()
    try {
      const row = (await eventually(() => rowOf(job.id), (r) => r?.status === 'ready', 20_000))!
      expect(row.status).toBe('ready')
      expect(row.durationMs).toBe(4000)
      expect(row.contentType).toBe('audio/wav')
      const wav = await vault.read(row.objectKey!, row.id, 0, row.sizeBytes!)
      expect(wav.byteLength).toBe(row.sizeBytes!)
      expect(wav.byteLength).toBe(44 + 4 * 8000 * 4)
      expect(createHash('sha256').update(wav).digest('hex')).toBe(row.sha256!)
      const [left, right] = readPcmWav(wav).channels as [Int16Array, Int16Array]
      expect(dominantTone(left, [440, 1000]).hz).toBe(440)
      expect(dominantTone(right, [440, 1000]).hz).toBe(1000)
      expect(row.deleteAfter!.getTime()).toBe(endedAt.getTime() + 7 * 86_400_000)
      // The pcap goes right after the commit that made the row ready.
      expect(await eventually(() => existsSync(files.pcap) || existsSync(files.metadata), (present) => !present, 10_000)).toBe(false)
      const [cb] = await database.db.select().from(callbackDeliveries).where(eq(callbackDeliveries.callId, job.callId))
      expect(cb).toMatchObject({ event: 'recording_ready', sequence: 5, status: 'pending' })
      expect(JSON.parse(cb!.body)).toMatchObject({ event: 'recording_ready', sequence: 5, call_id: job.callId, recording: { id: job.id, duration_ms: 4000, sha256: row.sha256, content_type: 'audio/wav' } })
      const [call] = await database.db.select().from(calls).where(eq(calls.id, job.callId))
      expect(call!.callbackSeq).toBe(5)
    } finally {
      await worker.stop()
    }
  }, 30_000)

  test('a worker process killed mid-conversion: the next worker finishes the job after the lease', async () => {
    const recDir = join(dir, 'b')
    const storeDir = join(dir, 'store-b')
    const answeredAt = new Date(Date.now() - 10_000)
    const job = await recorded(database, RTPENGINE, { tenantId: 'ten_B', answeredAt, endedAt: new Date(answeredAt.getTime() + 3000) })
    const files = writeRtpengineFiles(recDir, job.mediaCallId, answeredAt.getTime(), 3)
    // The pcap is a FIFO with no writer: the first worker blocks reading it, claimed and mid-job.
    rmSync(files.pcap)
    await Bun.$`mkfifo ${files.pcap}`
    const env = { ...process.env, ...(tdb.url ? { DATABASE_URL: tdb.url } : { DATA_DIR: tdb.dataDir! }), RECORDING_DIR: recDir, RECORDINGS_STORE_DIR: storeDir, RECORDINGS_KEY: key.toString('hex'), RTPENGINE, LEASE_MS: '1500' }
    const script = join(import.meta.dir, 'worker-process.fixture.ts')
    const first = Bun.spawn(['bun', script], { env, stdout: 'ignore', stderr: 'inherit' })
    try {
      // Bun's start-up on a busy machine: wait for the claim itself, not for a time.
      await eventually(() => rowOf(job.id), (r) => r?.attempts === 1, 60_000)
    } finally {
      first.kill('SIGKILL')
      await first.exited
    }
    const [killed] = await database.db.select().from(recordings).where(eq(recordings.id, job.id))
    expect(killed).toMatchObject({ status: 'pending', attempts: 1, objectKey: null })
    // rtpengine's real file back in place; a new worker process.
    rmSync(files.pcap)
    writeFileSync(files.pcap, files.pcapBytes)
    const second = Bun.spawn(['bun', script], { env, stdout: 'ignore', stderr: 'inherit' })
    try {
      const row = (await eventually(() => rowOf(job.id), (r) => r?.status === 'ready', 60_000))!
      expect(row.status).toBe('ready')
      expect(row.attempts).toBe(2)
      expect(row.durationMs).toBe(3000)
      expect(await eventually(() => existsSync(files.pcap), (present) => !present, 10_000)).toBe(false)
      const wav = await new RecordingVault(new FsObjectStore(storeDir), new AudioSealer(key)).read(row.objectKey!, row.id, 0, row.sizeBytes!)
      expect(createHash('sha256').update(wav).digest('hex')).toBe(row.sha256!)
    } finally {
      second.kill('SIGKILL')
      await second.exited
    }
  }, 150_000)

  test('a job of another rtpengine is left to the worker beside it', async () => {
    const answeredAt = new Date(Date.now() - 10_000)
    const job = await recorded(database, RTPENGINE, { tenantId: 'ten_C', answeredAt, endedAt: new Date(answeredAt.getTime() + 1000) })
    await database.db.update(recordings).set({ rtpengine: 'udp:10.9.9.9:22222' }).where(eq(recordings.id, job.id))
    const mine = 'udp:127.0.0.9:22222' // no other test's jobs
    const worker = new RecordingsWorker({ database, vault: new RecordingVault(new FsObjectStore(join(dir, 'c')), new AudioSealer(key)), log: serviceLogger('test', 'warn'), recordingDir: join(dir, 'c'), rtpengines: [mine], retentionDays: async () => 7, staleRecordingMs: 3_600_000 })
    expect(await worker.claim()).toBeUndefined()
    const [r] = await database.rows<{ attempts: number }>(sql`select attempts from calls.recordings where id = ${job.id}`)
    expect(Number(r!.attempts)).toBe(0)
  })
})
