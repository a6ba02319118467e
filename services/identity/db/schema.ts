/** identity's tables, in the `identity` Postgres schema that only this service touches. */
import { boolean, index, integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core'
import { idempotencyTable } from '../../../shared/idempotency'

export const identitySchema = pgSchema('identity')

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const tenants = identitySchema.table('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  numberSharing: text('number_sharing', { enum: ['exclusive', 'shared'] }).notNull().default('exclusive'),
  rateLimitPerSecond: integer('rate_limit_per_second'),
  /** Countries the tenant's parties may be in; null = those of its masked numbers. */
  allowedCountries: text('allowed_countries').array(),
  /** Sealed (shared/secret-box.ts), never plaintext. */
  webhookSecret: text('webhook_secret').notNull(),
  noSessionPrompt: text('no_session_prompt'),
  notAPartyPrompt: text('not_a_party_prompt'),
  /** Sessions of this tenant record their calls unless they say otherwise (`record` on the session). */
  recordCalls: boolean('record_calls').notNull().default(false),
  /** Days a recording is kept after its call; within the operator's RECORDING_RETENTION_MIN/MAX_DAYS. */
  recordingRetentionDays: integer('recording_retention_days').notNull().default(30),
  /** Days after a session or call ends before its phone numbers are anonymised (each service purges its own rows). */
  phoneRetentionDays: integer('phone_retention_days').notNull().default(90),
  unmatchedCallbackUrl: text('unmatched_callback_url'),
  /** The secret before the last rotation, sealed; valid until `previous_webhook_secret_expires_at`. */
  previousWebhookSecret: text('previous_webhook_secret'),
  previousWebhookSecretExpiresAt: ts('previous_webhook_secret_expires_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

export const apiKeys = identitySchema.table(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    label: text('label'),
    /** SHA-256 of the plaintext, hex. The plaintext is never stored. */
    keyHash: text('key_hash').notNull().unique(),
    keyPrefix: text('key_prefix').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId, t.id)],
)

export const auditEvents = identitySchema.table(
  'audit_events',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    action: text('action', { enum: ['key.created', 'key.rotated', 'key.revoked'] }).notNull(),
    keyId: text('key_id').notNull(),
    keyPrefix: text('key_prefix').notNull(),
    newKeyId: text('new_key_id'),
    actorType: text('actor_type', { enum: ['api_key', 'operator'] }).notNull(),
    actorKeyId: text('actor_key_id'),
    actorKeyPrefix: text('actor_key_prefix'),
    requestId: text('request_id'),
    sourceIp: text('source_ip'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('audit_events_tenant_idx').on(t.tenantId, t.id)],
)

/**
 * The audit record of each erasure (`POST /v1/privacy/erasures`): who asked, when, the number's
 * SHA-256 (never the number) and what each service touched. Never updated.
 */
export const erasures = identitySchema.table(
  'erasures',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    phoneSha256: text('phone_sha256').notNull(),
    sessions: integer('sessions').notNull(),
    calls: integer('calls').notNull(),
    callbackDeliveries: integer('callback_deliveries').notNull(),
    idempotencyRecords: integer('idempotency_records').notNull(),
    actorKeyId: text('actor_key_id'),
    actorKeyPrefix: text('actor_key_prefix'),
    requestId: text('request_id'),
    sourceIp: text('source_ip'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('erasures_tenant_idx').on(t.tenantId, t.id)],
)

/** `Idempotency-Key` records of key commands (replays never hold a plaintext key). */
export const idempotencyKeys = idempotencyTable(identitySchema)
