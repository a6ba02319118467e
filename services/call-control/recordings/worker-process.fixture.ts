/**
 * A recordings worker in a process of its own, for tests that kill it mid-conversion:
 * DATABASE_URL (or DATA_DIR), RECORDING_DIR, RECORDINGS_STORE_DIR, RECORDINGS_KEY (hex),
 * RTPENGINE (the instance name its jobs carry), LEASE_MS.
 */
import { openDatabase } from '../../../shared/db/database'
import { serviceLogger } from '../../../shared/log'
import { FsObjectStore } from './object-store'
import { RecordingVault } from './recording-vault'
import { AudioSealer } from './sealed-audio'
import { RecordingsWorker } from './worker'

const env = process.env as Record<string, string>
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR })
const worker = new RecordingsWorker({
  database,
  vault: new RecordingVault(new FsObjectStore(env.RECORDINGS_STORE_DIR!), new AudioSealer(Buffer.from(env.RECORDINGS_KEY!, 'hex'))),
  log: serviceLogger('recordings-worker', 'warn'),
  recordingDir: env.RECORDING_DIR!,
  rtpengines: [env.RTPENGINE!],
  retentionDays: async () => 30,
  pollMs: 100,
  leaseMs: Number(env.LEASE_MS ?? 120_000),
  staleRecordingMs: 3_600_000,
})
worker.start()
// The worker's timer is unref'd (it must not hold a service open): this process lives until it is killed.
setInterval(() => undefined, 1 << 30)
console.log('worker started')
