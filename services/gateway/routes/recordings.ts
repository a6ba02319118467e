/**
 * `/v1/recordings` and `/v1/calls/{call_id}/recording`: recorded calls, their audio (streamed in
 * parts from call-control over the bus, with HTTP Range), deletion. Another tenant's recording
 * does not exist for you (404).
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PageParams } from '../../../shared/contracts/common'
import { AUDIO_PART_MAX, RECORDING_STATUSES, recordingSubjects } from '../../../shared/contracts/recordings'
import type { Bus, BusContext } from '../../../shared/bus/bus'
import { AppError } from '../../../shared/errors'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { responses } from '../responses'

const RecordingParams = T.Object({ recording_id: T.String({ minLength: 1, maxLength: 64, title: 'Recording Id' }) })
/** Downloads up to this size are sent with a Content-Length (about 17 minutes of stereo audio). */
const BUFFER_MAX = 32 * 1024 * 1024
const NOT_FOUND = { 404: { description: 'No such recording of yours (`recording_not_found`).', codes: ['recording_not_found'] as const } }

/** One byte range of `size`, from a `Range` header; undefined = the whole file; 'unsatisfiable' = 416. */
export function parseRange(header: string | null | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  // Several ranges or another unit: served whole (RFC 9110 lets a server ignore Range).
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(m[1])
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || last < start) return 'unsatisfiable'
  return { start, end: last + 1 }
}

/** The audio as a stream of bus replies, each at most AUDIO_PART_MAX bytes. */
function audioStream(bus: Bus, ctx: BusContext, id: string, start: number, end: number): ReadableStream<Uint8Array> {
  let at = start
  return new ReadableStream({
    async pull(controller) {
      if (at >= end) return controller.close()
      const part = await bus.request(recordingSubjects.audio, { recording_id: id, start: at, end: Math.min(end, at + AUDIO_PART_MAX) }, { ...ctx, timeoutMs: 10_000 })
      const bytes = Buffer.from(part.audio_base64, 'base64')
      if (bytes.byteLength === 0) return controller.error(new Error('recording ended early'))
      at += bytes.byteLength
      controller.enqueue(new Uint8Array(bytes))
    },
  })
}

/** What every answer of the download carries (written out: its 200 is audio, not a JSON model). */
const downloadHeaders: Record<string, { description: string; schema: { type: 'string' | 'integer' } }> = {
  'X-Request-Id': { description: 'The request id; quoted in error bodies.', schema: { type: 'string' } },
  'RateLimit-Limit': { description: 'Requests the tenant may burst.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the bucket now.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the bucket is full again.', schema: { type: 'integer' } },
}

export const recordingRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:recordings' })
    .use(access)
    .use(models)
    .get('/v1/recordings', ({ bus, ctx, query }) => bus.request(recordingSubjects.list, query, ctx), {
      access: tenant('recordings:read'),
      query: query({
        ...PageParams,
        status: T.Optional(choice(['all', ...RECORDING_STATUSES], { default: 'all', title: 'Status' })),
        session_id: T.Optional(T.String({ maxLength: 64, title: 'Session Id' })),
        call_id: T.Optional(T.String({ maxLength: 64, title: 'Call Id' })),
        since: T.Optional(T.String({ format: 'date-time', title: 'Since', description: 'Recordings started at or after this time (RFC 3339)' })),
        until: T.Optional(T.String({ format: 'date-time', title: 'Until', description: 'Recordings started before this time (RFC 3339)' })),
      }),
      response: responses('RecordingList', tenant('recordings:read'), {}, { validates: true }),
      detail: {
        tags: ['recordings'],
        summary: 'List Recordings',
        operationId: 'list_recordings_v1_recordings_get',
        description: 'Your recordings, newest first; deleted ones stay listed (`status: deleted`, who deleted them and why).',
      },
    })
    .get('/v1/recordings/:recording_id', ({ bus, ctx, params }) => bus.request(recordingSubjects.get, { recording_id: params.recording_id }, ctx), {
      access: tenant('recordings:read'),
      params: RecordingParams,
      response: responses('Recording', tenant('recordings:read'), NOT_FOUND, { validates: true }),
      detail: { tags: ['recordings'], summary: 'Get Recording', operationId: 'get_recording_v1_recordings__recording_id__get', description: 'One recording: status, duration, size, SHA-256, retention.' },
    })
    .get('/v1/calls/:call_id/recording', ({ bus, ctx, params }) => bus.request(recordingSubjects.ofCall, { call_id: params.call_id }, ctx), {
      access: tenant('recordings:read'),
      params: T.Object({ call_id: T.String({ minLength: 1, maxLength: 64, title: 'Call Id' }) }),
      response: responses('Recording', tenant('recordings:read'), { 404: { description: 'No recording of such a call of yours (`recording_not_found`).', codes: ['recording_not_found'] } }, { validates: true }),
      detail: { tags: ['recordings'], summary: 'Get Call Recording', operationId: 'get_call_recording_v1_calls__call_id__recording_get', description: "The call's recording (sessions with `record: true`)." },
    })
    .get(
      '/v1/recordings/:recording_id/audio',
      async ({ bus, ctx, params, request }) => {
        const r = await bus.request(recordingSubjects.get, { recording_id: params.recording_id }, ctx)
        if (r.status === 'deleted') throw new AppError('recording_not_found', `recording ${r.id} was deleted`)
        if (r.status !== 'ready' || r.size_bytes == null) throw new AppError('recording_not_ready', `recording ${r.id} is ${r.status}; its audio is not ready`)
        const size = r.size_bytes
        const range = parseRange(request.headers.get('range'), size)
        const headers: Record<string, string> = {
          'content-type': r.content_type ?? 'audio/wav',
          'accept-ranges': 'bytes',
          etag: `"${r.sha256}"`,
          'content-disposition': `attachment; filename="${r.id}.wav"`,
          'cache-control': 'private, no-store',
          'x-request-id': ctx.requestId,
        }
        if (range === 'unsatisfiable') {
          return new Response(JSON.stringify({ error: { code: 'range_not_satisfiable', message: `the recording has ${size} bytes`, request_id: ctx.requestId }, detail: `the recording has ${size} bytes` }), {
            status: 416,
            headers: { 'content-type': 'application/json', 'content-range': `bytes */${size}`, 'x-request-id': ctx.requestId },
          })
        }
        const { start, end } = range ?? { start: 0, end: size }
        if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${size}`
        const stream = audioStream(bus, ctx, r.id, start, end)
        // Bun sends a stream it has to wait for as chunked (no Content-Length): up to BUFFER_MAX the
        // body is gathered first so the length is declared; beyond it, it streams (clients use Range).
        const body = end - start <= BUFFER_MAX ? new Uint8Array(await new Response(stream).arrayBuffer()) : stream
        return new Response(body, { status: range ? 206 : 200, headers })
      },
      {
        access: tenant('recordings:read'),
        params: RecordingParams,
        detail: {
          tags: ['recordings'],
          summary: 'Download Recording Audio',
          operationId: 'get_recording_audio_v1_recordings__recording_id__audio_get',
          description:
            'The WAV (PCM 16-bit, 8 kHz, stereo: the calling party on the left channel, the called party on the right; the recording notice at its start on both). ' +
            'Honours one `Range: bytes=…` (206 with `Content-Range`; 416 outside the file). 409 `recording_not_ready` while it is being converted.',
          responses: {
            200: { description: 'The whole WAV.', headers: downloadHeaders, content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
            206: { description: 'The requested byte range.', headers: downloadHeaders, content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
            429: { description: 'Over the rate limit (`rate_limited`).', headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } },
            404: { description: 'No such recording of yours, or it was deleted (`recording_not_found`).' },
            409: { description: 'Not converted yet (`recording_not_ready`).' },
            416: { description: 'The range is outside the file (`range_not_satisfiable`).' },
          },
        },
      },
    )
    .delete(
      '/v1/recordings/:recording_id',
      ({ bus, ctx, params, actor }) => bus.request(recordingSubjects.delete, { recording_id: params.recording_id, actor: { key_id: actor.key_id, key_prefix: actor.key_prefix } }, ctx),
      {
        access: tenant('recordings:write'),
        params: RecordingParams,
        response: responses('DeletedRecording', tenant('recordings:write'), { ...NOT_FOUND, 409: { description: 'Still being recorded or converted (`recording_not_ready`).', codes: ['recording_not_ready'] } }, { validates: true }),
        detail: {
          tags: ['recordings'],
          summary: 'Delete Recording',
          operationId: 'delete_recording_v1_recordings__recording_id__delete',
          description: 'Deletes the audio at once; the record stays (`status: deleted`, `deleted_at`, `deletion_reason: api`, `deleted_by_key_id`). Again: 200 with `already_deleted: true`.',
        },
      },
    )
