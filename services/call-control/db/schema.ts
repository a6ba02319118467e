/** call-control's tables, in the `calls` Postgres schema that only this service touches. */
import { sql } from 'drizzle-orm'
import { index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { CALL_STATUSES, type CallMediaStats } from '../../../shared/contracts/calls'
import { idempotencyTable } from '../../../shared/idempotency'
import { ANONYMISED_PHONE } from '../../../shared/phone'

/** Ended calls still holding a phone number: the phone-retention purge's queue (a literal, so queries match the partial index). */
export const HOLDS_PHONES = sql.raw(`ended_at is not null and (from_phone <> '${ANONYMISED_PHONE}' or to_phone <> '${ANONYMISED_PHONE}')`)

export const callsSchema = pgSchema('calls')

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const calls = callsSchema.table(
  'calls',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    /** Null for an unmatched call (no session: the caller heard the tenant's prompt and was hung up). */
    sessionId: text('session_id'),
    /** The session's order id at call time, for callback payloads. */
    orderId: text('order_id'),
    direction: text('direction', { enum: ['inbound', 'originate'] }).notNull(),
    status: text('status', { enum: CALL_STATUSES }).notNull(),
    fromParty: text('from_party', { enum: ['driver', 'customer'] }),
    toParty: text('to_party', { enum: ['driver', 'customer'] }),
    fromPhone: text('from_phone').notNull(),
    toPhone: text('to_phone'),
    maskedE164: text('masked_e164').notNull(),
    billId: text('bill_id'),
    /** Where state callbacks go (originate only), and which events. */
    stateCallback: text('state_callback'),
    stateCallbackEvents: text('state_callback_events').array(),
    /** The last callback sequence number given out for this call. */
    callbackSeq: integer('callback_seq').notNull().default(0),
    /** The SIP Call-ID of the first leg, to find a call from signalling logs. */
    sipCallId: text('sip_call_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    ringingAt: ts('ringing_at'),
    answeredAt: ts('answered_at'),
    endedAt: ts('ended_at'),
    durationSeconds: integer('duration_seconds'),
    endReason: text('end_reason'),
    /** rtpengine's figures for the call at its end (CallMediaStats), when it was anchored. */
    media: jsonb('media').$type<CallMediaStats>(),
  },
  // The lists' filters each have an index (tenant, tenant + session, tenant + status), so a first
  // page costs the same at any table size. The status index costs every state change its HOT
  // update (migration 0001 made them HOT): a trade, ADR 0009. The stale-call sweeper
  // walks the primary key, whose time-sortable ids are in creation order.
  (t) => [
    index('calls_tenant_idx').on(t.tenantId, t.id),
    index('calls_tenant_session_idx').on(t.tenantId, t.sessionId, t.id),
    index('calls_tenant_status_idx').on(t.tenantId, t.status, t.id),
    // The phone-retention purge: per tenant, oldest end first; rows leave it once anonymised.
    index('calls_phone_retention_idx').on(t.tenantId, t.endedAt).where(HOLDS_PHONES),
  ],
)

export const callbackDeliveries = callsSchema.table(
  'callback_deliveries',
  {
    id: text('id').primaryKey(),
    callId: text('call_id')
      .notNull()
      .references(() => calls.id),
    tenantId: text('tenant_id').notNull(),
    sequence: integer('sequence').notNull(),
    event: text('event').notNull(),
    eventId: text('event_id').notNull(),
    url: text('url').notNull(),
    /** The exact JSON body: every attempt sends the same bytes. */
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When the row is next due; while a worker holds it, the end of that worker's lease. */
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastAttemptAt: ts('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    attemptLog: jsonb('attempt_log').notNull().default(sql`'[]'::jsonb`),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('callback_deliveries_call_seq_idx').on(t.callId, t.sequence),
    index('callback_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
)

/**
 * Tenants' uploaded prompts. The audio is kept here (base64 of the validated WAV) so every
 * call-control instance can write it where rtpengine reads it. A deleted prompt is only marked
 * (`deleted_at`): no new call picks it, and its audio stays until no live call can still be
 * playing it (`PromptStore.purge`).
 */
export const prompts = callsSchema.table(
  'prompts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    encoding: text('encoding').notNull(),
    sampleRate: integer('sample_rate').notNull(),
    durationMs: integer('duration_ms').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    audioBase64: text('audio_base64').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('prompts_tenant_idx').on(t.tenantId, t.id)],
)

/** `Idempotency-Key` records of originate requests (shared/idempotency.ts). */
export const idempotencyKeys = idempotencyTable(callsSchema)

export const RECORDING_STATUSES = ['recording', 'pending', 'ready', 'failed', 'deleted'] as const

/**
 * One row per recorded call: written when recording starts (before the call is answered), so a
 * pcap rtpengine is writing always has a durable job. `pending` rows are claimed by a recordings
 * worker beside the rtpengine that wrote the pcap (`rtpengine` names it) with
 * `FOR UPDATE SKIP LOCKED` and a lease (`next_attempt_at`), converted, stored sealed, then the
 * pcap is deleted. A deleted recording keeps its row (who deleted it, when, why): the audit trail.
 */
export const recordings = callsSchema.table(
  'recordings',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    callId: text('call_id').notNull(),
    sessionId: text('session_id').notNull(),
    status: text('status', { enum: RECORDING_STATUSES }).notNull(),
    /** The rtpengine instance (ng address) that writes the pcap, and the call's id there. */
    rtpengine: text('rtpengine').notNull(),
    mediaCallId: text('media_call_id').notNull(),
    startedAt: ts('started_at').notNull().defaultNow(),
    /** The recording's span: from the answer to the end of the call. */
    answeredAt: ts('answered_at'),
    endedAt: ts('ended_at'),
    /** The notice played to both parties (its file and when it started), mixed into the WAV there. */
    noticeFile: text('notice_file'),
    noticeAt: ts('notice_at'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    objectKey: text('object_key'),
    contentType: text('content_type'),
    durationMs: integer('duration_ms'),
    sizeBytes: integer('size_bytes'),
    sha256: text('sha256'),
    readyAt: ts('ready_at'),
    /** When retention deletes it (ready_at's call end + the tenant's recording_retention_days). */
    deleteAfter: ts('delete_after'),
    deletedAt: ts('deleted_at'),
    deletionReason: text('deletion_reason', { enum: ['api', 'retention'] }),
    deletedByKeyId: text('deleted_by_key_id'),
    deletedByKeyPrefix: text('deleted_by_key_prefix'),
    deletionRequestId: text('deletion_request_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('recordings_call_idx').on(t.callId),
    index('recordings_tenant_idx').on(t.tenantId, t.id),
    index('recordings_due_idx').on(t.nextAttemptAt).where(sql`status in ('recording', 'pending')`),
    index('recordings_retention_idx').on(t.deleteAfter).where(sql`status = 'ready'`),
  ],
)
