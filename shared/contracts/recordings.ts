/** calls.recording.* subjects: recorded calls' metadata, audio by byte range, deletion. */
import { Type as T, type Static } from '@sinclair/typebox'
import { request } from './define'
import { listOf, literals, Nullable, NullableTimestamp, Page, Timestamp } from './common'

export const RECORDING_STATUSES = ['recording', 'pending', 'ready', 'failed', 'deleted'] as const
export const RecordingStatus = literals(RECORDING_STATUSES)

export const Recording = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  call_id: T.String(),
  session_id: T.String(),
  /** `recording` (call live), `pending` (being converted), `ready`, `failed`, `deleted`. */
  status: RecordingStatus,
  content_type: Nullable(T.String()),
  duration_ms: Nullable(T.Integer()),
  size_bytes: Nullable(T.Integer()),
  /** SHA-256 (hex) of the WAV as downloaded. */
  sha256: Nullable(T.String()),
  started_at: Timestamp,
  ended_at: NullableTimestamp,
  ready_at: NullableTimestamp,
  /** When retention deletes the audio. */
  delete_after: NullableTimestamp,
  deleted_at: NullableTimestamp,
  /** `api` (DELETE by a key) or `retention`. */
  deletion_reason: Nullable(T.String()),
  deleted_by_key_id: Nullable(T.String()),
})
export type Recording = Static<typeof Recording>

export const RecordingListQuery = T.Object({
  ...Page.properties,
  status: T.Optional(T.Union([RecordingStatus, T.Literal('all')])),
  session_id: T.Optional(T.String({ maxLength: 64 })),
  call_id: T.Optional(T.String({ maxLength: 64 })),
  since: T.Optional(Timestamp),
  until: T.Optional(Timestamp),
})

/** The most audio one reply carries (base64 keeps it under NATS's 1 MiB payload limit). */
export const AUDIO_PART_MAX = 512 * 1024

export const AudioPartQuery = T.Object({
  recording_id: T.String({ maxLength: 64 }),
  start: T.Integer({ minimum: 0 }),
  /** Exclusive; at most AUDIO_PART_MAX after start. */
  end: T.Integer({ minimum: 1 }),
})
export const AudioPart = T.Object({ size_bytes: T.Integer(), content_type: T.String(), start: T.Integer(), audio_base64: T.String() })

export const DeleteRecordingInput = T.Object({
  recording_id: T.String({ maxLength: 64 }),
  actor: T.Object({ key_id: Nullable(T.String()), key_prefix: Nullable(T.String()) }),
})

export const recordingSubjects = {
  get: request('calls.recording.get', T.Object({ recording_id: T.String({ maxLength: 64 }) }), Recording),
  ofCall: request('calls.recording.of-call', T.Object({ call_id: T.String({ maxLength: 64 }) }), Recording),
  list: request('calls.recording.list', RecordingListQuery, listOf(Recording)),
  audio: request('calls.recording.audio', AudioPartQuery, AudioPart),
  delete: request('calls.recording.delete', DeleteRecordingInput, T.Composite([Recording, T.Object({ already_deleted: T.Boolean() })])),
}
