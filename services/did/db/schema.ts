/** did's tables, in the `did` Postgres schema that only this service touches. */
import { sql } from 'drizzle-orm'
import { index, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { idempotencyTable } from '../../../shared/idempotency'

export const didSchema = pgSchema('did')

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

/** The pool: every number the platform owns, whoever holds it. */
export const dids = didSchema.table('dids', {
  id: text('id').primaryKey(),
  e164: text('e164').notNull().unique(),
  country: text('country'),
  capabilities: text('capabilities')
    .array()
    .notNull()
    .default(sql`'{voice}'::text[]`),
  /** End of the cool-down after the latest release; the number cannot be assigned before it. */
  availableAt: ts('available_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** Every assignment a number ever had; released ones stay for audit and billing. */
export const didAssignments = didSchema.table(
  'did_assignments',
  {
    id: text('id').primaryKey(),
    didId: text('did_id')
      .notNull()
      .references(() => dids.id),
    tenantId: text('tenant_id').notNull(),
    status: text('status', { enum: ['active', 'released', 'suspended'] }).notNull(),
    assignedAt: ts('assigned_at').notNull().defaultNow(),
    releasedAt: ts('released_at'),
    suspendedAt: ts('suspended_at'),
  },
  (t) => [
    // A number has at most one current (active or suspended) assignment, whatever races.
    uniqueIndex('did_assignments_current_uq')
      .on(t.didId)
      .where(sql`status in ('active', 'suspended')`),
    index('did_assignments_tenant_idx').on(t.tenantId, t.status, t.id),
    index('did_assignments_did_idx').on(t.didId, t.id),
  ],
)

/** `Idempotency-Key` records of the operator's pool commands. */
export const idempotencyKeys = idempotencyTable(didSchema)
