/** The key audit log: one row per create / rotate / revoke, never updated. */
import { count, desc, eq } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import type { AuditEvent } from '../../shared/contracts/identity'
import type { Page } from '../../shared/contracts/common'
import type { Db } from '../../shared/db/database'
import { newId } from '../../shared/ids'
import { auditEvents } from './db/schema'

export interface AuditEntry {
  tenantId: string
  action: 'key.created' | 'key.rotated' | 'key.revoked'
  keyId: string
  keyPrefix: string
  newKeyId?: string
  actor: { key_id: string | null; key_prefix: string | null; source_ip: string | null }
  requestId: string | null
}

export async function recordAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    id: newId('evt'),
    tenantId: e.tenantId,
    action: e.action,
    keyId: e.keyId,
    keyPrefix: e.keyPrefix,
    newKeyId: e.newKeyId ?? null,
    actorType: e.actor.key_id ? 'api_key' : 'operator',
    actorKeyId: e.actor.key_id,
    actorKeyPrefix: e.actor.key_prefix,
    requestId: e.requestId || null,
    sourceIp: e.actor.source_ip,
  })
}

export async function listAudit(db: Db, tenantId: string, page: Page) {
  const where = eq(auditEvents.tenantId, tenantId)
  const [rows, [total]] = await Promise.all([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(page.limit).offset(page.offset),
    db.select({ n: count() }).from(auditEvents).where(where),
  ])
  const items: Static<typeof AuditEvent>[] = rows.map((r) => ({
    id: r.id,
    tenant_id: r.tenantId,
    action: r.action,
    key_id: r.keyId,
    key_prefix: r.keyPrefix,
    new_key_id: r.newKeyId,
    actor_type: r.actorType,
    actor_key_id: r.actorKeyId,
    actor_key_prefix: r.actorKeyPrefix,
    request_id: r.requestId,
    source_ip: r.sourceIp,
    created_at: r.createdAt.toISOString(),
  }))
  return { items, limit: page.limit, offset: page.offset, total: Number(total?.n ?? 0) }
}
