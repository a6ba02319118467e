/**
 * Recordings' rows (db/schema.ts `recordings`): the job's life (started → pending → ready /
 * failed), reads for the API, deletion (by a key, or by retention) with who and why kept on the row.
 */
import { and, count, desc, eq, gte, inArray, lt, lte, type SQL } from 'drizzle-orm'
import type { Db } from '../../../shared/db/database'
import { newId } from '../../../shared/ids'
import { iso } from '../../../shared/time'
import type { Recording } from '../../../shared/contracts/recordings'
import { recordings } from '../db/schema'

export type RecordingRow = typeof recordings.$inferSelect

export function toRecording(r: RecordingRow): Recording {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    call_id: r.callId,
    session_id: r.sessionId,
    status: r.status,
    content_type: r.contentType,
    duration_ms: r.durationMs,
    size_bytes: r.sizeBytes,
    sha256: r.sha256,
    started_at: r.startedAt.toISOString(),
    ended_at: iso(r.endedAt),
    ready_at: iso(r.readyAt),
    delete_after: iso(r.deleteAfter),
    deleted_at: iso(r.deletedAt),
    deletion_reason: r.deletionReason,
    deleted_by_key_id: r.deletedByKeyId,
  }
}

export interface StartedRecording {
  tenantId: string
  callId: string
  sessionId: string
  rtpengine: string
  mediaCallId: string
}

/** How long after a call's end its pcap is first looked at (rtpengine closes it on delete). */
export const SETTLE_MS = 500

export class RecordingStore {
  constructor(private readonly db: Db) {}

  /** The durable job, written as recording starts (the offer asks rtpengine to record). */
  async started(r: StartedRecording): Promise<string> {
    const id = newId('rec')
    await this.db.insert(recordings).values({ id, status: 'recording', ...r })
    return id
  }

  /** The call is over: the job falls due once rtpengine has closed the pcap. */
  async ended(callId: string, v: { answeredAt: Date | null; endedAt: Date; noticeFile: string | null; noticeAt: Date | null }): Promise<void> {
    await this.db
      .update(recordings)
      .set({ status: 'pending', answeredAt: v.answeredAt, endedAt: v.endedAt, noticeFile: v.noticeFile, noticeAt: v.noticeAt, nextAttemptAt: new Date(Date.now() + SETTLE_MS) })
      .where(and(eq(recordings.callId, callId), eq(recordings.status, 'recording')))
  }

  async get(tenantId: string, id: string): Promise<RecordingRow | undefined> {
    const [r] = await this.db.select().from(recordings).where(and(eq(recordings.id, id), eq(recordings.tenantId, tenantId)))
    return r
  }

  async ofCall(tenantId: string, callId: string): Promise<RecordingRow | undefined> {
    const [r] = await this.db.select().from(recordings).where(and(eq(recordings.callId, callId), eq(recordings.tenantId, tenantId)))
    return r
  }

  async list(tenantId: string, q: { limit: number; offset: number; status?: RecordingRow['status']; session_id?: string; call_id?: string; since?: Date; until?: Date }) {
    const where: SQL[] = [eq(recordings.tenantId, tenantId)]
    if (q.status) where.push(eq(recordings.status, q.status))
    if (q.session_id) where.push(eq(recordings.sessionId, q.session_id))
    if (q.call_id) where.push(eq(recordings.callId, q.call_id))
    if (q.since) where.push(gte(recordings.startedAt, q.since))
    if (q.until) where.push(lt(recordings.startedAt, q.until))
    const cond = and(...where)
    const [items, [total]] = await Promise.all([
      this.db.select().from(recordings).where(cond).orderBy(desc(recordings.id)).limit(q.limit).offset(q.offset),
      this.db.select({ n: count() }).from(recordings).where(cond),
    ])
    return { items, total: Number(total?.n ?? 0) }
  }

  /**
   * Marks a ready (or failed) recording deleted (who, why, when) and returns its row, or undefined
   * when it is not in such a state (already deleted, or still being recorded or converted). The object is removed after the mark: a crash in between leaves an
   * orphan object of a deleted row, which the purge removes again (deleting twice is harmless).
   */
  async markDeleted(id: string, by: { reason: 'api' | 'retention'; keyId?: string | null; keyPrefix?: string | null; requestId?: string | null }): Promise<RecordingRow | undefined> {
    const [r] = await this.db
      .update(recordings)
      .set({ status: 'deleted', deletedAt: new Date(), deletionReason: by.reason, deletedByKeyId: by.keyId ?? null, deletedByKeyPrefix: by.keyPrefix ?? null, deletionRequestId: by.requestId ?? null })
      .where(and(eq(recordings.id, id), inArray(recordings.status, ['ready', 'failed'])))
      .returning()
    return r
  }

  /** The object is gone (deleted recordings keep their row, not their audio). */
  async clearObject(id: string): Promise<void> {
    await this.db.update(recordings).set({ objectKey: null }).where(eq(recordings.id, id))
  }

  /** Ready recordings whose retention has run out. */
  async expired(now: Date, limit: number): Promise<RecordingRow[]> {
    return this.db
      .select()
      .from(recordings)
      .where(and(eq(recordings.status, 'ready'), lte(recordings.deleteAfter, now)))
      .limit(limit)
  }
}
