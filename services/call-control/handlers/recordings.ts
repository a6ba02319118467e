/** calls.recording.* on the bus: a tenant's recordings, their audio by byte range, deletion. */
import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { AUDIO_PART_MAX, recordingSubjects } from '../../../shared/contracts/recordings'
import { AppError } from '../../../shared/errors'
import type { Logger } from '../../../shared/log'
import { toRecording, type RecordingRow, type RecordingStore } from '../recordings/recording-store'
import type { RecordingVault } from '../recordings/recording-vault'

const notFound = (what: string) => new AppError('recording_not_found', `${what} not found`)

export function serveRecordings(bus: Bus, d: { store: RecordingStore; vault?: RecordingVault; log: Logger }): void {
  const own = async (tenantId: string, id: string): Promise<RecordingRow> => {
    const r = await d.store.get(tenantId, id)
    if (!r) throw notFound(`recording ${id}`)
    return r
  }
  bus.serve(recordingSubjects.get, async ({ recording_id }, ctx) => toRecording(await own(requireTenant(ctx), recording_id)))
  bus.serve(recordingSubjects.ofCall, async ({ call_id }, ctx) => {
    const r = await d.store.ofCall(requireTenant(ctx), call_id)
    if (!r) throw notFound(`a recording of call ${call_id}`)
    return toRecording(r)
  })
  bus.serve(recordingSubjects.list, async (q, ctx) => {
    const { items, total } = await d.store.list(requireTenant(ctx), {
      limit: q.limit,
      offset: q.offset,
      ...(q.status && q.status !== 'all' && { status: q.status }),
      ...(q.session_id && { session_id: q.session_id }),
      ...(q.call_id && { call_id: q.call_id }),
      ...(q.since && { since: new Date(q.since) }),
      ...(q.until && { until: new Date(q.until) }),
    })
    return { items: items.map(toRecording), limit: q.limit, offset: q.offset, total }
  })
  bus.serve(recordingSubjects.audio, async ({ recording_id, start, end }, ctx) => {
    const r = await own(requireTenant(ctx), recording_id)
    if (r.status !== 'ready' || !r.objectKey || r.sizeBytes == null) {
      throw new AppError(r.status === 'deleted' ? 'recording_not_found' : 'recording_not_ready', r.status === 'deleted' ? `recording ${r.id} was deleted` : `recording ${r.id} is ${r.status}; its audio is not ready`)
    }
    if (!d.vault) throw new AppError('recordings_unavailable', 'recordings cannot be read on this platform (RECORDINGS_KEY is not set)')
    if (start >= r.sizeBytes || end <= start) throw new AppError('range_not_satisfiable', `bytes ${start}-${end - 1} are outside the recording (${r.sizeBytes} bytes)`, { extra: { size_bytes: r.sizeBytes } })
    const to = Math.min(end, r.sizeBytes, start + AUDIO_PART_MAX)
    const bytes = await d.vault.read(r.objectKey, r.id, start, to)
    return { size_bytes: r.sizeBytes, content_type: r.contentType ?? 'audio/wav', start, audio_base64: Buffer.from(bytes).toString('base64') }
  })
  bus.serve(recordingSubjects.delete, async ({ recording_id, actor }, ctx) => {
    const tenantId = requireTenant(ctx)
    const before = await own(tenantId, recording_id)
    if (before.status === 'deleted') return { ...toRecording(before), already_deleted: true }
    if (before.status === 'recording' || before.status === 'pending') throw new AppError('recording_not_ready', `recording ${before.id} is ${before.status}; it can be deleted once it is ready`)
    const r = await d.store.markDeleted(before.id, { reason: 'api', keyId: actor.key_id, keyPrefix: actor.key_prefix, requestId: ctx.requestId })
    if (!r) return { ...toRecording((await own(tenantId, recording_id))!), already_deleted: true }
    if (r.objectKey && d.vault) {
      await d.vault.delete(r.objectKey)
      await d.store.clearObject(r.id)
    }
    d.log.info({ recording_id: r.id, call_id: r.callId, tenant_id: tenantId, reason: 'api', actor_key_id: actor.key_id, request_id: ctx.requestId }, 'recording deleted')
    return { ...toRecording(r), already_deleted: false }
  })
}
