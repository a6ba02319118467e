/**
 * call-control's recording parts, from its configuration: the vault (RECORDINGS_KEY, store), the
 * bus handlers, the retention purge, the worker (where RECORDING_DIR shows rtpengine's pcaps), and
 * the per-call hooks. Without RECORDINGS_KEY nothing is recorded (a session's `record` is then
 * refused nowhere, but logged at start), since audio could not be stored sealed.
 */
import { join } from 'node:path'
import type { Bus } from '../../../shared/bus/bus'
import { identity } from '../../../shared/contracts/identity'
import type { Database } from '../../../shared/db/database'
import type { Logger } from '../../../shared/log'
import type { PromptFile } from '../../../shared/prompts/builtin'
import { parseKey } from '../../../shared/secret-box'
import type { CallControlConfig } from '../config'
import { serveRecordings } from '../handlers/recordings'
import { parseNgUrl } from '../../../shared/media/rtpengine-client'
import { parseRtpengineUrls } from '../../../shared/media/rtpengine-pool'
import { CallRecordings } from './call-recording'
import { FsObjectStore, S3ObjectStore, type ObjectStore } from './object-store'
import { RecordingStore } from './recording-store'
import { RecordingVault } from './recording-vault'
import { RetentionPurge } from './retention'
import { AudioSealer } from './sealed-audio'
import { RecordingsWorker } from './worker'

export function objectStoreOf(c: CallControlConfig & { DATA_DIR: string }): ObjectStore {
  if (c.RECORDINGS_STORE === 's3') {
    return new S3ObjectStore({ bucket: c.RECORDINGS_S3_BUCKET!, endpoint: c.RECORDINGS_S3_ENDPOINT, region: c.RECORDINGS_S3_REGION, prefix: c.RECORDINGS_S3_PREFIX })
  }
  return new FsObjectStore(c.RECORDINGS_FS_DIR ?? join(c.DATA_DIR, 'recordings'))
}

/** The name call-control's pool gives an rtpengine instance (`host:port`), which recording jobs carry. */
export const instanceName = (url: string) => {
  const a = parseNgUrl(url)
  return `${a.host}:${a.port}`
}

export function startRecordings(o: { config: CallControlConfig & { DATA_DIR: string }; database: Database; bus: Bus; log: Logger; notice: PromptFile | undefined; nudgeCallbacks(): void; staleMs: number }) {
  const { config, database, bus, log } = o
  const store = new RecordingStore(database.db)
  const vault = config.RECORDINGS_KEY
    ? new RecordingVault(
        objectStoreOf(config),
        new AudioSealer(
          parseKey(config.RECORDINGS_KEY),
          config.RECORDINGS_KEY_PREVIOUS.split(',').map((s) => s.trim()).filter(Boolean).map(parseKey),
        ),
      )
    : undefined
  serveRecordings(bus, { store, ...(vault && { vault }), log })
  if (!vault) {
    log.warn('RECORDINGS_KEY is not set: no call is recorded (sessions with record: true are bridged unrecorded)')
    return { calls: undefined, stop: async () => undefined }
  }
  const purge = new RetentionPurge({ db: database.db, store, vault, log, intervalMs: config.RECORDING_PURGE_INTERVAL_S * 1000 })
  purge.start()
  let worker: RecordingsWorker | undefined
  if (config.RECORDING_DIR) {
    const engines = parseRtpengineUrls(config.RECORDING_RTPENGINES || config.RTPENGINE_URLS).map(instanceName)
    worker = new RecordingsWorker({
      database,
      vault,
      log,
      recordingDir: config.RECORDING_DIR,
      rtpengines: engines,
      retentionDays: async (tenantId) => (await bus.request(identity.getTenant, { tenant_id: tenantId })).recording_retention_days,
      onCallback: o.nudgeCallbacks,
      staleRecordingMs: o.staleMs,
    })
    worker.start()
  }
  return {
    calls: new CallRecordings(store, o.notice, log),
    purge,
    async stop() {
      await worker?.stop()
      await purge.stop()
    },
  }
}
