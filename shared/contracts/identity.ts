/** identity.* subjects: key verification, tenants, keys, audit log. */
import { Type as T, type Static } from '@sinclair/typebox'
import { event, request } from './define'
import { Empty, listOf, Nullable, NullableTimestamp, Page, Ping, PromptRef, ScopeSchema, Timestamp } from './common'

export const NumberSharing = T.Union([T.Literal('exclusive'), T.Literal('shared')])

export const Tenant = T.Object({
  id: T.String(),
  name: T.String(),
  number_sharing: NumberSharing,
  rate_limit_per_second: Nullable(T.Integer()),
  /** What a caller to one of its numbers with no open session hears (then the call ends); null = SIP 404. */
  no_session_prompt: Nullable(T.String()),
  /** What a caller who is not a party of the number's open session hears; null = SIP 403. */
  not_a_party_prompt: Nullable(T.String()),
  /** Default of a new session's `record`. */
  record_calls: T.Boolean(),
  recording_retention_days: T.Integer(),
  /** Days after a session or call ends before its phone numbers are anonymised (retention; default 90). */
  phone_retention_days: T.Integer(),
  /** Where `call.unmatched` callbacks go (a caller could not be bridged); null = none. */
  unmatched_callback_url: Nullable(T.String()),
  allowed_countries: Nullable(T.Array(T.String())),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Tenant = Static<typeof Tenant>

/** What the gateway learns from a verified key; it never sees the stored hash or plaintext again. */
export const Principal = T.Object({
  tenant_id: T.String(),
  key_id: T.String(),
  key_prefix: T.String(),
  scopes: T.Array(ScopeSchema),
  expires_at: NullableTimestamp,
  rate_limit_per_second: Nullable(T.Integer()),
})
export type Principal = Static<typeof Principal>

export const ApiKey = T.Object({
  id: T.String(),
  label: Nullable(T.String()),
  api_key_prefix: T.String(),
  scopes: T.Array(ScopeSchema),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
  is_active: T.Boolean(),
})
export type ApiKey = Static<typeof ApiKey>

export const CreatedKey = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  label: Nullable(T.String()),
  /** The plaintext, in this reply only; null in an Idempotency-Key replay (see `api_key_shown_once`). */
  api_key: Nullable(T.String()),
  api_key_shown_once: T.Optional(T.Boolean()),
  api_key_prefix: T.String(),
  scopes: T.Array(ScopeSchema),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
})

/** Who did it, for the audit log; filled by the gateway from the verified key and the socket. */
export const Actor = T.Object({
  key_id: Nullable(T.String()),
  key_prefix: Nullable(T.String()),
  source_ip: Nullable(T.String()),
})
export type Actor = Static<typeof Actor>

export const AuditEvent = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  action: T.Union([T.Literal('key.created'), T.Literal('key.rotated'), T.Literal('key.revoked')]),
  key_id: T.String(),
  key_prefix: T.String(),
  new_key_id: Nullable(T.String()),
  actor_type: T.Union([T.Literal('api_key'), T.Literal('operator')]),
  actor_key_id: Nullable(T.String()),
  actor_key_prefix: Nullable(T.String()),
  request_id: Nullable(T.String()),
  source_ip: Nullable(T.String()),
  created_at: Timestamp,
})
export type AuditEvent = Static<typeof AuditEvent>

export const KeyCreateInput = T.Object({
  label: T.Optional(Nullable(T.String({ maxLength: 80 }))),
  scopes: T.Optional(T.Array(ScopeSchema, { minItems: 1, uniqueItems: true })),
  expires_in_days: T.Optional(Nullable(T.Integer({ minimum: 1, maximum: 365 }))),
}, { additionalProperties: false })

/**
 * Countries (ISO 3166-1 alpha-2) whose numbers the tenant's sessions may have as parties; null =
 * the countries of the tenant's own masked numbers (the destination policy, shared/destination-policy.ts).
 */
export const AllowedCountries = Nullable(
  T.Array(T.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country code' }), {
    maxItems: 250,
    uniqueItems: true,
    description: "Countries the tenant's parties may be in; null = the countries of its masked numbers",
  }),
)

export const TenantCreateInput = T.Object({
  name: T.String({ minLength: 1, maxLength: 120 }),
  number_sharing: T.Optional(NumberSharing),
  rate_limit_per_second: T.Optional(Nullable(T.Integer({ minimum: 1, maximum: 100000 }))),
  allowed_countries: T.Optional(AllowedCountries),
}, { additionalProperties: false })

/** What callers hear when they cannot be bridged; a tenant sets these itself too (`PATCH /v1/settings`). */
export const UnmatchedCallerSettings = {
  no_session_prompt: T.Optional(
    Nullable({ ...PromptRef, title: 'No Session Prompt', description: 'Played (then hang up) to callers of a number with no open session; null = refuse with SIP 404' }),
  ),
  not_a_party_prompt: T.Optional(
    Nullable({ ...PromptRef, title: 'Not A Party Prompt', description: "Played (then hang up) to callers who are not a party of the number's session; null = refuse with SIP 403" }),
  ),
  unmatched_callback_url: T.Optional(
    Nullable(
      T.String({
        maxLength: 2048,
        pattern: '^https?://',
        title: 'Unmatched Callback Url',
        description: 'Absolute http(s) URL that receives a signed `call.unmatched` callback (with the caller\'s number) for every call that could not be bridged; null = none',
      }),
    ),
  ),
}
/** Call recording: the default for new sessions, and how long recordings are kept. */
export const RecordingSettings = {
  record_calls: T.Optional(T.Boolean({ title: 'Record Calls', description: "Default of a new session's `record`: its calls are recorded, both parties hearing the recording notice first" })),
  recording_retention_days: T.Optional(
    T.Integer({ minimum: 1, maximum: 3650, title: 'Recording Retention Days', description: "Days a recording is kept after its call, then deleted (default 30; within the operator's bounds)" }),
  ),
}
/** Personal data: how long ended sessions and call records keep their parties' phone numbers. */
export const PrivacySettings = {
  phone_retention_days: T.Optional(
    T.Integer({
      minimum: 1,
      maximum: 3650,
      title: 'Phone Retention Days',
      description: "Days after a session or call ends before its phone numbers are anonymised (replaced by `[redacted]`; default 90)",
    }),
  ),
}
export const TenantSettingsInput = T.Object({ ...UnmatchedCallerSettings, ...RecordingSettings, ...PrivacySettings }, { additionalProperties: false })
export const TenantSettingsView = T.Object({
  no_session_prompt: Nullable(T.String()),
  not_a_party_prompt: Nullable(T.String()),
  unmatched_callback_url: Nullable(T.String()),
  record_calls: T.Boolean(),
  recording_retention_days: T.Integer(),
  phone_retention_days: T.Integer(),
})

export const TenantPatchInput = T.Object({
  name: T.Optional(T.String({ minLength: 1, maxLength: 120 })),
  number_sharing: T.Optional(NumberSharing),
  rate_limit_per_second: T.Optional(Nullable(T.Integer({ minimum: 1, maximum: 100000 }))),
  allowed_countries: T.Optional(AllowedCountries),
  ...UnmatchedCallerSettings,
  ...RecordingSettings,
  ...PrivacySettings,
}, { additionalProperties: false })

/** `POST /v1/privacy/erasures`: the number whose every trace in the tenant's sessions and calls is anonymised. */
export const ErasureInput = T.Object(
  { phone: T.String({ minLength: 1, maxLength: 32, title: 'Phone', description: 'E.164, e.g. +14155550123' }) },
  { additionalProperties: false },
)

/** What an erasure touched, per kind of record (each anonymised in place, or deleted for idempotency records). */
export const ErasureCounts = T.Object({
  sessions: T.Integer({ description: 'Ended sessions whose driver_phone or customer_phone was this number' }),
  calls: T.Integer({ description: 'Call records whose from_phone or to_phone was this number' }),
  callback_deliveries: T.Integer({ description: 'Stored callback bodies that carried this number (`call.unmatched`)' }),
  idempotency_records: T.Integer({ description: 'Stored Idempotency-Key replies that carried this number (deleted)' }),
})

/** The erasure's audit record: who asked, when, the number's SHA-256 (never the number), and the counts. */
export const Erasure = T.Object({
  id: T.String(),
  tenant_id: T.String(),
  /** Hex SHA-256 of the E.164 number: tells whether a given number was erased without keeping it. */
  phone_sha256: T.String(),
  touched: ErasureCounts,
  actor_key_id: Nullable(T.String()),
  actor_key_prefix: Nullable(T.String()),
  request_id: Nullable(T.String()),
  created_at: Timestamp,
})
export type Erasure = Static<typeof Erasure>

/** The key that signs a tenant's state callbacks (`X-Masking-Signature`). */
export const WebhookSecret = T.Object({
  tenant_id: T.String(),
  webhook_secret: T.String(),
  /** After a rotation, the secret it replaced: still valid, and still signing callbacks, until `previous_expires_at`. */
  previous_webhook_secret: Nullable(T.String()),
  previous_expires_at: NullableTimestamp,
})
export type WebhookSecret = Static<typeof WebhookSecret>

export const identity = {
  ping: request('identity.health.ping', Empty, Ping),
  verifyKey: request('identity.key.verify', T.Object({ key_hash: T.String({ minLength: 64, maxLength: 64 }) }), Principal),
  listKeys: request('identity.key.list', Page, T.Object({ tenant_id: T.String(), items: T.Array(ApiKey), limit: T.Integer(), offset: T.Integer(), total: T.Integer() })),
  createKey: request('identity.key.create', T.Object({ input: KeyCreateInput, actor: Actor }), CreatedKey),
  /** The operator mints a key for a tenant (a tenant locked out by expiry gets back in); audited as the operator. */
  operatorCreateKey: request('identity.key.operator_create', T.Object({ tenant_id: T.String({ maxLength: 64 }), input: KeyCreateInput, actor: Actor }), CreatedKey),
  rotateKey: request(
    'identity.key.rotate',
    T.Object({ key_id: T.String({ maxLength: 64 }), actor: Actor }),
    T.Object({
      tenant_id: T.String(),
      revoked_api_key_id: T.String(),
      new_api_key_id: T.String(),
      api_key: Nullable(T.String()),
      api_key_shown_once: T.Optional(T.Boolean()),
      api_key_prefix: T.String(),
      label: Nullable(T.String()),
      scopes: T.Array(ScopeSchema),
      created_at: Timestamp,
      expires_at: NullableTimestamp,
    }),
  ),
  revokeKey: request(
    'identity.key.revoke',
    T.Object({ key_id: T.String({ maxLength: 64 }), actor: Actor }),
    T.Object({ tenant_id: T.String(), revoked_api_key_id: T.String(), revoked_at: Timestamp, already_revoked: T.Optional(T.Boolean()) }),
  ),
  listAudit: request('identity.audit.list', Page, listOf(AuditEvent)),
  /** Erases a number from the tenant's sessions and calls (asking each service), and audits it. */
  erasePhone: request('identity.privacy.erase', T.Object({ phone: T.String({ maxLength: 32 }), actor: Actor }), Erasure),
  listErasures: request('identity.privacy.list', Page, listOf(Erasure)),
  createTenant: request(
    'identity.tenant.create',
    TenantCreateInput,
    T.Object({ tenant: Tenant, api_key: CreatedKey, webhook_secret: T.String() }),
  ),
  listTenants: request('identity.tenant.list', Page, listOf(Tenant)),
  getTenant: request('identity.tenant.get', T.Object({ tenant_id: T.String({ maxLength: 64 }) }), Tenant),
  updateTenant: request('identity.tenant.update', T.Object({ tenant_id: T.String({ maxLength: 64 }), patch: TenantPatchInput }), Tenant),
  // events
  keyRevoked: event('identity.key.revoked', T.Object({ tenant_id: T.String(), key_id: T.String() })),
  keyCreated: event('identity.key.created', T.Object({ tenant_id: T.String(), key_id: T.String() })),
  keyUsed: event('identity.key.used', T.Object({ uses: T.Array(T.Object({ key_id: T.String(), at: Timestamp }), { maxItems: 10000 }) })),
  tenantUpdated: event('identity.tenant.updated', T.Object({ tenant_id: T.String() })),
  // the tenant's webhook signing secret (tenant from the request's tenant-id header)
  getWebhookSecret: request('identity.webhook_secret.get', Empty, WebhookSecret),
  rotateWebhookSecret: request('identity.webhook_secret.rotate', Empty, WebhookSecret),
  webhookSecretRotated: event('identity.webhook_secret.rotated', T.Object({ tenant_id: T.String() })),
}
