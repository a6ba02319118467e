/**
 * The recordings worker: runs beside rtpengine (it reads rtpengine's `--recording-dir`), claims
 * due jobs of the rtpengine instances whose pcaps it can see (`FOR UPDATE SKIP LOCKED`, held by
 * a lease on `next_attempt_at`, so a worker killed mid-conversion leaves a job that falls due again
 * by itself), converts the pcap to a stereo WAV, stores it sealed, marks the row ready (with the
 * `recording_ready` callback in the same transaction), and only then deletes the pcap and its
 * metadata: the pcap holds the parties' real addresses and must not outlive its conversion,
 * while a job whose pcap is gone before it was stored could never finish.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import type { Database } from '../../../shared/db/database'
import type { Logger } from '../../../shared/log'
import { newId } from '../../../shared/ids'
import { callbackBody } from '../callbacks/payload'
import { callbackDeliveries } from '../db/schema'
import { readUdpDatagrams } from './pcap-reader'
import { parseRtpengineMetadata } from './rtpengine-metadata'
import { readPcmWav, rtpToWav, type Overlay } from './rtp-to-wav'
import type { RecordingVault } from './recording-vault'

export interface RecordingsWorkerOptions {
  database: Database
  vault: RecordingVault
  log: Logger
  /** rtpengine's --recording-dir as this process sees it. */
  recordingDir: string
  /** The rtpengine instances (ng addresses, as call-control names them) writing into recordingDir. */
  rtpengines: string[]
  /** A tenant's retention in days (identity's `recording_retention_days`). */
  retentionDays(tenantId: string): Promise<number>
  /** A recording became ready and owes a callback: wake the callback worker. */
  onCallback?: () => void
  pollMs?: number
  leaseMs?: number
  /** A call still `recording` this long after it started lost its end report (crash): treated as ended. */
  staleRecordingMs: number
}

interface Job {
  id: string
  tenant_id: string
  call_id: string
  media_call_id: string
  started_at: Date
  answered_at: Date | null
  ended_at: Date | null
  notice_file: string | null
  notice_at: Date | null
  attempts: number
}

export const MAX_ATTEMPTS = 5
/** How long after a call's end a pcap whose metadata lacks its end line is still waited for. */
const CLOSE_WAIT_MS = 60_000

class NotYet extends Error {}

export class RecordingsWorker {
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private again = false
  private readonly pollMs: number
  private readonly leaseMs: number

  constructor(private readonly o: RecordingsWorkerOptions) {
    this.pollMs = o.pollMs ?? 1000
    this.leaseMs = o.leaseMs ?? 120_000
  }

  start(): void {
    void this.sweepOrphans().catch((err) => this.o.log.warn({ err }, 'could not sweep converted pcaps'))
    this.schedule(0)
  }

  nudge(): void {
    if (this.stopped) return
    if (this.running) this.again = true
    else this.schedule(0)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.cycle(), ms)
    this.timer.unref?.()
  }

  private async cycle(): Promise<void> {
    if (this.running || this.stopped) return
    let worked = false
    this.running = (async () => {
      try {
        const job = await this.claim()
        if (job) {
          worked = true
          await this.run(job)
        }
      } catch (err) {
        this.o.log.warn({ err }, 'recordings worker cycle failed; will retry')
      }
    })()
    await this.running
    this.running = undefined
    if (this.stopped) return
    const next = worked || this.again ? 0 : this.pollMs
    this.again = false
    this.schedule(next)
  }

  /** One due job of our rtpengines, leased to this worker (one at a time: conversions are CPU-bound). */
  async claim(): Promise<Job | undefined> {
    if (this.o.rtpengines.length === 0) return undefined
    const engines = sql.join(this.o.rtpengines.map((e) => sql`${e}`), sql`, `)
    const [job] = await this.o.database.rows<Job>(sql`
      with due as (
        select id from calls.recordings
        where next_attempt_at <= now() and rtpengine in (${engines})
          and (status = 'pending' or (status = 'recording' and started_at < now() - ${this.o.staleRecordingMs} * interval '1 millisecond'))
        order by next_attempt_at, id
        limit 1
        for update skip locked
      )
      update calls.recordings r
      set next_attempt_at = now() + ${this.leaseMs} * interval '1 millisecond', attempts = r.attempts + 1
      from due where r.id = due.id
      returning r.id, r.tenant_id, r.call_id, r.media_call_id, r.started_at, r.answered_at, r.ended_at, r.notice_file, r.notice_at, r.attempts`)
    if (!job) return undefined
    // Raw rows carry timestamps as the driver gives them.
    for (const k of ['started_at', 'answered_at', 'ended_at', 'notice_at'] as const) if (job[k] != null) job[k] = new Date(job[k] as unknown as string)
    return job
  }

  private async run(job: Job): Promise<void> {
    const log = { recording_id: job.id, call_id: job.call_id, attempt: job.attempts }
    try {
      const files = await this.findFiles(job.media_call_id)
      const meta = parseRtpengineMetadata(files.metadataText)
      if (!/call end time/.test(files.metadataText) && Date.now() - (job.ended_at ?? job.started_at).getTime() < CLOSE_WAIT_MS) throw new NotYet('rtpengine has not closed the pcap yet')
      const pcap = new Uint8Array(await readFile(files.pcap))
      const overlays: Overlay[] = []
      if (job.notice_file && job.notice_at && job.answered_at) {
        const notice = readPcmWav(new Uint8Array(await readFile(job.notice_file)))
        if (notice.sampleRate === 8000 && notice.channels[0]) overlays.push({ samples: notice.channels[0], atMs: job.notice_at.getTime() - job.answered_at.getTime() })
      }
      const converted = rtpToWav(readUdpDatagrams(pcap), meta, {
        ...(job.answered_at ? { startMs: job.answered_at.getTime() } : {}),
        ...(job.answered_at && job.ended_at ? { endMs: job.ended_at.getTime() } : {}),
        overlays,
      })
      const sha256 = createHash('sha256').update(converted.wav).digest('hex')
      const { key } = await this.o.vault.save(job.tenant_id, job.id, converted.wav)
      const days = await this.o.retentionDays(job.tenant_id)
      const owes = await this.markReady(job, { key, durationMs: converted.durationMs, sizeBytes: converted.wav.byteLength, sha256, days })
      // Stored and committed: now the pcap (the parties' addresses) goes.
      await this.removeFiles(files)
      if (owes) this.o.onCallback?.()
      this.o.log.info({ ...log, duration_ms: converted.durationMs, size_bytes: converted.wav.byteLength, packets: converted.packets }, 'recording ready')
    } catch (e) {
      await this.failed(job, e as Error, log)
    }
  }

  private async markReady(job: Job, r: { key: string; durationMs: number; sizeBytes: number; sha256: string; days: number }): Promise<boolean> {
    return this.o.database.db.transaction(async (tx) => {
      const done = (await tx.execute(sql`
        update calls.recordings set status = 'ready', object_key = ${r.key}, content_type = 'audio/wav', duration_ms = ${r.durationMs},
          size_bytes = ${r.sizeBytes}, sha256 = ${r.sha256}, ready_at = now(), last_error = null,
          delete_after = coalesce(ended_at, now()) + ${r.days} * interval '1 day'
        where id = ${job.id} and status in ('pending', 'recording')
        returning id`)) as unknown
      if (rowsOf(done).length === 0) return false
      // The call's next callback sequence, if it has a callback URL that wants this event.
      const call = rowsOf<Record<string, unknown>>(
        (await tx.execute(sql`
          update calls.calls set callback_seq = callback_seq + 1
          where id = ${job.call_id} and state_callback is not null
            and (state_callback_events is null or 'recording_ready' = any(state_callback_events))
          returning id, tenant_id, session_id, order_id, bill_id, status, direction, from_party, to_party, from_phone, masked_e164, duration_seconds, end_reason, state_callback, callback_seq`)) as unknown,
      )[0]
      if (!call) return false
      const eventId = newId('evt')
      const sequence = Number(call.callback_seq)
      const body = callbackBody(
        {
          id: String(call.id),
          sessionId: String(call.session_id),
          orderId: (call.order_id as string | null) ?? null,
          billId: (call.bill_id as string | null) ?? null,
          status: call.status as never,
          direction: call.direction as never,
          fromParty: String(call.from_party),
          toParty: String(call.to_party),
          maskedE164: String(call.masked_e164),
          fromPhone: String(call.from_phone),
          endReason: (call.end_reason as string | null) ?? null,
          durationSeconds: call.duration_seconds == null ? null : Number(call.duration_seconds),
        },
        { eventId, event: 'recording_ready', sequence, occurredAt: new Date() },
        { recording: { id: job.id, duration_ms: r.durationMs, size_bytes: r.sizeBytes, sha256: r.sha256, content_type: 'audio/wav' } },
      )
      await tx.insert(callbackDeliveries).values({ id: newId('cbd'), callId: job.call_id, tenantId: job.tenant_id, sequence, event: 'recording_ready', eventId, url: String(call.state_callback), body })
      return true
    })
  }

  private async failed(job: Job, e: Error, log: Record<string, unknown>): Promise<void> {
    const d = this.o.database.db
    if (e instanceof NotYet) {
      // Not an attempt: rtpengine is still writing.
      await d.execute(sql`update calls.recordings set attempts = attempts - 1, next_attempt_at = now() + interval '1 second' where id = ${job.id}`)
      return
    }
    const last = job.attempts >= MAX_ATTEMPTS
    const delay = Math.min(300_000, 2000 * 4 ** (job.attempts - 1))
    await d.execute(sql`
      update calls.recordings set last_error = ${e.message.slice(0, 500)},
        status = ${last ? sql`'failed'` : sql`status`}, next_attempt_at = now() + ${delay} * interval '1 millisecond'
      where id = ${job.id} and status in ('pending', 'recording')`)
    if (last) {
      // Given up: the pcap must not stay behind either.
      await this.findFiles(job.media_call_id).then((f) => this.removeFiles(f), () => undefined)
      this.o.log.error({ ...log, error: e.message }, 'recording conversion given up')
    } else this.o.log.warn({ ...log, error: e.message, retry_in_ms: delay }, 'recording conversion failed; will retry')
  }

  /** rtpengine's files of a call: `metadata/rtpengine-meta-<call id>-<random>.txt` naming `pcaps/<call id>-<random>.pcap`. */
  async findFiles(mediaCallId: string): Promise<{ metadata: string; metadataText: string; pcap: string }> {
    const metaDir = join(this.o.recordingDir, 'metadata')
    const prefix = `rtpengine-meta-${mediaCallId}-`
    const name = (await readdir(metaDir).catch(() => [] as string[])).find((n) => n.startsWith(prefix) && n.endsWith('.txt'))
    if (!name) throw new Error(`no rtpengine metadata for this call in ${metaDir}`)
    const metadata = join(metaDir, name)
    const metadataText = await readFile(metadata, 'utf8')
    const pcap = join(this.o.recordingDir, 'pcaps', `${name.slice('rtpengine-meta-'.length, -'.txt'.length)}.pcap`)
    return { metadata, metadataText, pcap }
  }

  private async removeFiles(f: { metadata: string; pcap: string }): Promise<void> {
    await rm(f.pcap, { force: true })
    await rm(f.metadata, { force: true })
  }

  /** At start: pcaps of recordings already stored or deleted (a crash right after the commit). */
  async sweepOrphans(): Promise<number> {
    const metaDir = join(this.o.recordingDir, 'metadata')
    const names = (await readdir(metaDir).catch(() => [] as string[])).filter((n) => n.startsWith('rtpengine-meta-') && n.endsWith('.txt'))
    if (!names.length || !this.o.rtpengines.length) return 0
    const done = await this.o.database.rows<{ media_call_id: string }>(sql`select media_call_id from calls.recordings where status in ('ready', 'deleted', 'failed') and rtpengine in (${sql.join(this.o.rtpengines.map((e) => sql`${e}`), sql`, `)})`)
    const ids = new Set(done.map((d) => d.media_call_id))
    let removed = 0
    for (const n of names) {
      const base = n.slice('rtpengine-meta-'.length, -'.txt'.length)
      const id = base.replace(/-[0-9a-f]+$/, '')
      if (!ids.has(id)) continue
      await this.removeFiles({ metadata: join(metaDir, n), pcap: join(this.o.recordingDir, 'pcaps', `${base}.pcap`) })
      removed++
    }
    if (removed) this.o.log.info({ removed }, 'removed pcaps of recordings already converted')
    return removed
  }
}

function rowsOf<T = unknown>(r: unknown): T[] {
  return (Array.isArray(r) ? r : ((r as { rows?: T[] }).rows ?? [])) as T[]
}

