/** Tenants: created by operators with a first key (plaintext returned once) and a signing secret. */
import { count, desc, eq, sql } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import { isSupportedCountry } from 'libphonenumber-js'
import { SCOPES, type Page } from '../../shared/contracts/common'
import type { Tenant, TenantCreateInput, TenantPatchInput } from '../../shared/contracts/identity'
import type { Db } from '../../shared/db/database'
import { AppError, validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { recordAudit } from './audit'
import { tenants } from './db/schema'
import { mintKey } from './keys'
import type { WebhookSecretStore } from './webhook-secret-store'

type TenantRow = typeof tenants.$inferSelect

export function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    number_sharing: r.numberSharing,
    rate_limit_per_second: r.rateLimitPerSecond,
    no_session_prompt: r.noSessionPrompt,
    not_a_party_prompt: r.notAPartyPrompt,
    record_calls: r.recordCalls,
    recording_retention_days: r.recordingRetentionDays,
    phone_retention_days: r.phoneRetentionDays,
    unmatched_callback_url: r.unmatchedCallbackUrl,
    allowed_countries: r.allowedCountries ?? null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  }
}

/** `allowed_countries`: codes libphonenumber knows (the schema checked the shape), sorted; null stays null. */
export function checkCountries(list: string[] | null | undefined): string[] | null {
  if (list === undefined || list === null) return null
  const bad = list.findIndex((c) => !isSupportedCountry(c))
  if (bad >= 0) {
    throw validationError([{ loc: ['body', 'allowed_countries', bad], msg: 'Value should be an ISO 3166-1 alpha-2 country code with telephone numbers, e.g. US', type: 'value_error' }])
  }
  return [...list].sort()
}

export async function createTenant(db: Db, input: Static<typeof TenantCreateInput>, requestId: string | null, secrets: Pick<WebhookSecretStore, 'fresh'>) {
  return db.transaction(async (tx) => {
    const webhookSecret = secrets.fresh()
    const [row] = await tx
      .insert(tenants)
      .values({
        id: newId('ten'),
        name: input.name,
        numberSharing: input.number_sharing ?? 'exclusive',
        rateLimitPerSecond: input.rate_limit_per_second ?? null,
        allowedCountries: checkCountries(input.allowed_countries),
        webhookSecret: webhookSecret.sealed,
      })
      .returning()
    const tenant = row!
    const key = await mintKey(tx, tenant.id, { label: 'default', scopes: SCOPES, expiresAt: null })
    await recordAudit(tx, {
      tenantId: tenant.id,
      action: 'key.created',
      keyId: key.id,
      keyPrefix: key.api_key_prefix,
      actor: { key_id: null, key_prefix: null, source_ip: null },
      requestId,
    })
    return { tenant: toTenant(tenant), api_key: key, webhook_secret: webhookSecret.plaintext }
  })
}

export async function getTenant(db: Db, tenantId: string): Promise<Tenant> {
  const [r] = await db.select().from(tenants).where(eq(tenants.id, tenantId))
  if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
  return toTenant(r)
}

export async function listTenants(db: Db, page: Page) {
  const [rows, [total]] = await Promise.all([
    db.select().from(tenants).orderBy(desc(tenants.id)).limit(page.limit).offset(page.offset),
    db.select({ n: count() }).from(tenants),
  ])
  return { items: rows.map(toTenant), limit: page.limit, offset: page.offset, total: Number(total?.n ?? 0) }
}

/** The operator's bounds on tenants' recording retention (identity's RECORDING_RETENTION_MIN/MAX_DAYS). */
export interface RetentionBounds {
  min: number
  max: number
}

export async function updateTenant(db: Db, tenantId: string, patch: Static<typeof TenantPatchInput>, bounds: RetentionBounds = { min: 1, max: 3650 }): Promise<Tenant> {
  const days = patch.recording_retention_days
  if (days !== undefined && (days < bounds.min || days > bounds.max)) {
    throw validationError([{ loc: ['body', 'recording_retention_days'], msg: `Input should be from ${bounds.min} to ${bounds.max} days (the platform's bounds)`, type: 'range' }])
  }
  const set: Partial<typeof tenants.$inferInsert> = {}
  if (patch.name !== undefined) set.name = patch.name
  if (patch.number_sharing !== undefined) set.numberSharing = patch.number_sharing
  if (patch.rate_limit_per_second !== undefined) set.rateLimitPerSecond = patch.rate_limit_per_second
  if (patch.no_session_prompt !== undefined) set.noSessionPrompt = patch.no_session_prompt
  if (patch.not_a_party_prompt !== undefined) set.notAPartyPrompt = patch.not_a_party_prompt
  if (patch.record_calls !== undefined) set.recordCalls = patch.record_calls
  if (days !== undefined) set.recordingRetentionDays = days
  if (patch.phone_retention_days !== undefined) set.phoneRetentionDays = patch.phone_retention_days
  if (patch.unmatched_callback_url !== undefined) set.unmatchedCallbackUrl = patch.unmatched_callback_url
  if (patch.allowed_countries !== undefined) set.allowedCountries = checkCountries(patch.allowed_countries)
  const [r] = await db
    .update(tenants)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(tenants.id, tenantId))
    .returning()
  if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
  return toTenant(r)
}
