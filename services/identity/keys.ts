/**
 * API key rules (api-keys-guide.md): shown-once plaintext, SHA-256 storage, idempotent revoke,
 * last-active-key lockout, atomic rotation. Changes to a tenant's keys take the tenant row's lock,
 * so concurrent revokes are serialised and can never leave a tenant with no active key.
 */
import { and, arrayContains, count, desc, eq, gt, gte, isNull, ne, or, sql } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import { displayPrefix, generateApiKey, hashApiKey } from '../../shared/api-key'
import { SCOPES, type Page, type Scope } from '../../shared/contracts/common'
import type { Actor, ApiKey, CreatedKey, KeyCreateInput, Principal } from '../../shared/contracts/identity'
import type { Db } from '../../shared/db/database'
import { AppError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { iso } from '../../shared/time'
import { recordAudit } from './audit'
import { apiKeys, tenants } from './db/schema'

type KeyRow = typeof apiKeys.$inferSelect
const DAY_MS = 86_400_000

export function isActive(k: Pick<KeyRow, 'revokedAt' | 'expiresAt'>, now = new Date()): boolean {
  return k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now)
}

function toApiKey(k: KeyRow): ApiKey {
  return {
    id: k.id,
    label: k.label,
    api_key_prefix: k.keyPrefix,
    scopes: k.scopes as Scope[],
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
    is_active: isActive(k),
  }
}

/** Inserts a new key and returns its only plaintext copy. */
async function mintKey(
  db: Db,
  tenantId: string,
  opts: { label: string | null; scopes: readonly Scope[]; expiresAt: Date | null },
): Promise<Static<typeof CreatedKey>> {
  const plaintext = generateApiKey()
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: newId('key'),
      tenantId,
      label: opts.label,
      keyHash: hashApiKey(plaintext),
      keyPrefix: displayPrefix(plaintext),
      scopes: [...opts.scopes],
      expiresAt: opts.expiresAt,
    })
    .returning()
  const k = row!
  return {
    id: k.id,
    tenant_id: tenantId,
    label: k.label,
    api_key: plaintext,
    api_key_prefix: k.keyPrefix,
    scopes: k.scopes as Scope[],
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
  }
}

/** Serialises key changes of one tenant (row lock held until the transaction ends). */
async function lockTenant(tx: Db, tenantId: string): Promise<void> {
  const rows = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update')
  if (rows.length === 0) throw new AppError('tenant_not_found', 'tenant not found')
}

async function findKey(tx: Db, tenantId: string, keyId: string): Promise<KeyRow> {
  const [k] = await tx.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId)))
  // Another tenant's key does not exist for you.
  if (!k) throw new AppError('api_key_not_found', `API key ${keyId} not found`)
  return k
}

/**
 * Keys that keep the tenant in control once `leaving` is gone: active, able to manage keys, and
 * lasting at least as long as `leaving` would have (no expiry, or a later one). Counting a key
 * that expires sooner would let a tenant revoke its permanent key and be locked out on expiry.
 */
async function keysThatOutlast(tx: Db, tenantId: string, leaving: KeyRow): Promise<number> {
  const lastsLongEnough = leaving.expiresAt
    ? or(isNull(apiKeys.expiresAt), gte(apiKeys.expiresAt, leaving.expiresAt))
    : isNull(apiKeys.expiresAt)
  const [r] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.tenantId, tenantId),
        ne(apiKeys.id, leaving.id),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
        lastsLongEnough,
        arrayContains(apiKeys.scopes, ['keys:manage']),
      ),
    )
  return Number(r?.n ?? 0)
}

/** Pure: the scopes a key may be minted with by `actorScopes` (null: the operator, who may grant any). */
export function grantableScopes(requested: readonly Scope[] | undefined, actorScopes: readonly Scope[] | null): readonly Scope[] {
  if (actorScopes === null) return requested ?? SCOPES
  // Omitted scopes inherit the minting key's, so a narrow key mints narrow keys by default.
  if (!requested) return actorScopes
  const missing = requested.filter((s) => !actorScopes.includes(s))
  if (missing.length) {
    throw new AppError('scope_not_held', `a key can only grant scopes it holds itself; this key lacks ${missing.join(', ')}`, { extra: { scopes_not_held: missing } })
  }
  return requested
}

async function actorScopes(tx: Db, tenantId: string, actor: Actor): Promise<readonly Scope[] | null> {
  if (!actor.key_id) return null
  const [k] = await tx.select({ scopes: apiKeys.scopes }).from(apiKeys).where(and(eq(apiKeys.id, actor.key_id), eq(apiKeys.tenantId, tenantId)))
  // The gateway verified this key a moment ago; if it is gone it grants nothing.
  return (k?.scopes as Scope[] | undefined) ?? []
}

export function expiryFrom(days: number | null | undefined, now = Date.now()): Date | null {
  return days ? new Date(now + days * DAY_MS) : null
}

/**
 * The hot reads (every `GET /v1/api-keys`, every key-cache miss at a gateway) as prepared
 * queries: drizzle builds their SQL once per database handle instead of on every call. Building
 * it was about a third of identity's CPU per key-list request under load (bench/RESULTS.md).
 */
function prepareReads(db: Db) {
  const byTenant = eq(apiKeys.tenantId, sql.placeholder('tenantId'))
  return {
    page: db
      .select()
      .from(apiKeys)
      .where(byTenant)
      .orderBy(desc(apiKeys.id))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('identity_list_keys'),
    count: db.select({ n: count() }).from(apiKeys).where(byTenant).prepare('identity_count_keys'),
    verify: db
      .select({ key: apiKeys, rateLimit: tenants.rateLimitPerSecond })
      .from(apiKeys)
      .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
      .where(eq(apiKeys.keyHash, sql.placeholder('keyHash')))
      .prepare('identity_verify_key'),
  }
}

const preparedReads = new WeakMap<Db, ReturnType<typeof prepareReads>>()
function reads(db: Db): ReturnType<typeof prepareReads> {
  let r = preparedReads.get(db)
  if (!r) preparedReads.set(db, (r = prepareReads(db)))
  return r
}

export async function listKeys(db: Db, tenantId: string, page: Page) {
  const q = reads(db)
  const rows = await q.page.execute({ tenantId, limit: page.limit, offset: page.offset })
  // A partial page that is not empty (or an empty first page) already tells the total, so the
  // count query (a second round trip) is only needed for full pages and pages past the end.
  const total =
    rows.length < page.limit && (rows.length > 0 || page.offset === 0)
      ? page.offset + rows.length
      : Number((await q.count.execute({ tenantId }))[0]?.n ?? 0)
  return { tenant_id: tenantId, items: rows.map(toApiKey), limit: page.limit, offset: page.offset, total }
}

export async function createKey(
  db: Db,
  tenantId: string,
  input: Static<typeof KeyCreateInput>,
  actor: Actor,
  requestId: string | null,
) {
  return db.transaction(async (tx) => {
    await lockTenant(tx, tenantId)
    const scopes = grantableScopes(input.scopes, await actorScopes(tx, tenantId, actor))
    const created = await mintKey(tx, tenantId, {
      label: input.label ?? null,
      scopes,
      expiresAt: expiryFrom(input.expires_in_days),
    })
    await recordAudit(tx, { tenantId, action: 'key.created', keyId: created.id, keyPrefix: created.api_key_prefix, actor, requestId })
    return created
  })
}

export async function revokeKey(db: Db, tenantId: string, keyId: string, actor: Actor, requestId: string | null) {
  return db.transaction(async (tx) => {
    await lockTenant(tx, tenantId)
    const k = await findKey(tx, tenantId, keyId)
    if (k.revokedAt) {
      return { tenant_id: tenantId, revoked_api_key_id: k.id, revoked_at: k.revokedAt.toISOString(), already_revoked: true, changed: false }
    }
    if (isActive(k) && (await keysThatOutlast(tx, tenantId, k)) === 0) {
      throw new AppError(
        'last_active_key',
        'no other active key with the keys:manage scope lasts as long as this one; create one first (without an expiry, or expiring later), then revoke this one',
      )
    }
    const [row] = await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, k.id)).returning({ revokedAt: apiKeys.revokedAt })
    await recordAudit(tx, { tenantId, action: 'key.revoked', keyId: k.id, keyPrefix: k.keyPrefix, actor, requestId })
    return { tenant_id: tenantId, revoked_api_key_id: k.id, revoked_at: row!.revokedAt!.toISOString(), changed: true }
  })
}

/** Atomic replace: same label and scopes, same lifetime length (if it had one), old key revoked. */
export async function rotateKey(db: Db, tenantId: string, keyId: string, actor: Actor, requestId: string | null) {
  return db.transaction(async (tx) => {
    await lockTenant(tx, tenantId)
    const old = await findKey(tx, tenantId, keyId)
    if (old.revokedAt) throw new AppError('key_already_revoked', `API key ${keyId} is revoked; create a new key instead`)
    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null
    // Rotation hands out a new plaintext: a narrow key must not obtain a broader key this way.
    const scopes = grantableScopes(old.scopes as Scope[], await actorScopes(tx, tenantId, actor))
    const created = await mintKey(tx, tenantId, {
      label: old.label,
      scopes,
      expiresAt: lifetime ? new Date(Date.now() + lifetime) : null,
    })
    await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, old.id))
    await recordAudit(tx, { tenantId, action: 'key.rotated', keyId: old.id, keyPrefix: old.keyPrefix, newKeyId: created.id, actor, requestId })
    return {
      tenant_id: tenantId,
      revoked_api_key_id: old.id,
      new_api_key_id: created.id,
      api_key: created.api_key,
      api_key_prefix: created.api_key_prefix,
      label: created.label,
      scopes: created.scopes,
      created_at: created.created_at,
      expires_at: created.expires_at,
    }
  })
}

/** Resolves a key hash to its principal, or 401 for unknown, revoked and expired keys alike. */
export async function verifyKey(db: Db, keyHash: string): Promise<Principal> {
  const [r] = await reads(db).verify.execute({ keyHash })
  if (!r) throw new AppError('unauthorized', 'invalid API key')
  if (r.key.revokedAt) throw new AppError('unauthorized', 'API key has been revoked')
  if (r.key.expiresAt && r.key.expiresAt <= new Date()) throw new AppError('unauthorized', 'API key has expired')
  return {
    tenant_id: r.key.tenantId,
    key_id: r.key.id,
    key_prefix: r.key.keyPrefix,
    scopes: r.key.scopes as Scope[],
    expires_at: iso(r.key.expiresAt),
    rate_limit_per_second: r.rateLimit,
  }
}

export { mintKey }
