/**
 * Tenants' webhook signing secrets, sealed at rest (shared/secret-box.ts). A rotation keeps the
 * previous secret valid for a grace period, during which callbacks carry a signature with each
 * (Stripe's way), so a receiver can switch over without dropping a callback.
 */
import { and, eq, isNotNull, lte, sql } from 'drizzle-orm'
import { generateWebhookSecret } from '../../shared/api-key'
import type { Db } from '../../shared/db/database'
import { AppError } from '../../shared/errors'
import type { SecretBox } from '../../shared/secret-box'
import { tenants } from './db/schema'

export interface CurrentSecrets {
  secret: string
  previous: { secret: string; expiresAt: Date } | null
}

export class WebhookSecretStore {
  constructor(private readonly db: Db, private readonly box: SecretBox, private readonly graceMs: number) {}

  /** A new secret: its plaintext (for the one reply) and what to store. */
  fresh(): { plaintext: string; sealed: string } {
    const plaintext = generateWebhookSecret()
    return { plaintext, sealed: this.box.seal(plaintext) }
  }

  async current(tenantId: string, now = new Date()): Promise<CurrentSecrets> {
    const [r] = await this.db
      .select({ secret: tenants.webhookSecret, previous: tenants.previousWebhookSecret, until: tenants.previousWebhookSecretExpiresAt })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
    if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
    const live = r.previous && r.until && r.until > now
    return { secret: this.box.open(r.secret).plaintext, previous: live ? { secret: this.box.open(r.previous!).plaintext, expiresAt: r.until! } : null }
  }

  /** Replaces the secret; the one it replaces stays valid for the grace period. */
  async rotate(tenantId: string): Promise<CurrentSecrets> {
    const next = this.fresh()
    const expiresAt = new Date(Date.now() + this.graceMs)
    const [r] = await this.db
      .update(tenants)
      .set({
        previousWebhookSecret: this.graceMs > 0 ? sql`${tenants.webhookSecret}` : null,
        previousWebhookSecretExpiresAt: this.graceMs > 0 ? expiresAt : null,
        webhookSecret: next.sealed,
        updatedAt: sql`now()`,
      })
      .where(eq(tenants.id, tenantId))
      .returning({ previous: tenants.previousWebhookSecret })
    if (!r) throw new AppError('tenant_not_found', `tenant ${tenantId} not found`)
    return { secret: next.plaintext, previous: r.previous ? { secret: this.box.open(r.previous).plaintext, expiresAt } : null }
  }

  /**
   * At start: seals secrets stored before encryption or under an old key with the current key,
   * and forgets previous secrets whose grace period is over. Returns how many rows changed.
   */
  async reseal(): Promise<number> {
    await this.db
      .update(tenants)
      .set({ previousWebhookSecret: null, previousWebhookSecretExpiresAt: null })
      .where(and(isNotNull(tenants.previousWebhookSecretExpiresAt), lte(tenants.previousWebhookSecretExpiresAt, sql`now()`)))
    const rows = await this.db.select({ id: tenants.id, secret: tenants.webhookSecret, previous: tenants.previousWebhookSecret }).from(tenants)
    let changed = 0
    for (const r of rows) {
      const cur = this.box.open(r.secret)
      const prev = r.previous ? this.box.open(r.previous) : null
      if (!cur.reseal && !prev?.reseal) continue
      await this.db
        .update(tenants)
        .set({ webhookSecret: this.box.seal(cur.plaintext), ...(prev ? { previousWebhookSecret: this.box.seal(prev.plaintext) } : {}) })
        .where(and(eq(tenants.id, r.id), eq(tenants.webhookSecret, r.secret)))
      changed++
    }
    return changed
  }
}
