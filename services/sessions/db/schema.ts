/**
 * sessions' tables, in the `sessions` Postgres schema that only this service touches.
 *
 * The number-sharing rules live in two partial unique indexes, so no race can break them:
 * - an exclusive open session holds its number alone (`sessions_open_exclusive_number_uq`);
 * - no phone is a party of two open sessions on one number (`session_parties_number_phone_uq`
 *   over `session_parties`, whose rows exist exactly while their session is open, in both modes,
 *   so a caller always identifies at most one session on the number it dialled).
 */
import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { idempotencyTable } from '../../../shared/idempotency'
import { ANONYMISED_PHONE } from '../../../shared/phone'

/** Ended sessions still holding a phone number: the phone-retention purge's queue (a literal, so queries match the partial index). */
export const HOLDS_PHONES = sql.raw(`status <> 'open' and (driver_phone <> '${ANONYMISED_PHONE}' or customer_phone <> '${ANONYMISED_PHONE}')`)

export const sessionsSchema = pgSchema('sessions')

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const sessions = sessionsSchema.table(
  'sessions',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    orderId: text('order_id'),
    driverPhone: text('driver_phone').notNull(),
    customerPhone: text('customer_phone').notNull(),
    maskedE164: text('masked_e164').notNull(),
    /** Holds its number alone (the tenant was in `exclusive` mode, or the number was asked for explicitly). */
    exclusive: boolean('exclusive').notNull(),
    status: text('status', { enum: ['open', 'completed', 'expired'] }).notNull(),
    ttlMinutes: integer('ttl_minutes').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    endedAt: ts('ended_at'),
    endReason: text('end_reason', { enum: ['completed', 'expired', 'number_released'] }),
    /** A PIN session: no party rows (callers are matched by PIN), two rows in `session_pins` instead. */
    pinRequired: boolean('pin_required').notNull().default(false),
    pinLength: integer('pin_length'),
    driverPin: text('driver_pin'),
    customerPin: text('customer_pin'),
    callTimeLimitSeconds: integer('call_time_limit_seconds'),
    ringTimeoutSeconds: integer('ring_timeout_seconds'),
    greetingPrompt: text('greeting_prompt'),
    /** Its calls are recorded (both parties hear the recording notice first). */
    record: boolean('record').notNull().default(false),
  },
  (t) => [
    uniqueIndex('sessions_open_exclusive_number_uq')
      .on(t.maskedE164)
      .where(sql`status = 'open' and exclusive`),
    uniqueIndex('sessions_open_order_uq')
      .on(t.tenantId, t.orderId)
      .where(sql`status = 'open' and order_id is not null`),
    // The sweeper's queue.
    index('sessions_open_expiry_idx')
      .on(t.expiresAt)
      .where(sql`status = 'open'`),
    // Lists, newest first (ids are time-sortable), and lookups by order_id.
    index('sessions_tenant_idx').on(t.tenantId, t.id),
    index('sessions_tenant_status_idx').on(t.tenantId, t.status, t.id),
    index('sessions_tenant_order_idx')
      .on(t.tenantId, t.orderId, t.id)
      .where(sql`order_id is not null`),
    // When was a number last used (least-recently-used allocation).
    index('sessions_number_created_idx').on(t.maskedE164, t.createdAt),
    // The phone-retention purge: per tenant, oldest end first; rows leave it once anonymised.
    index('sessions_phone_retention_idx').on(t.tenantId, t.endedAt).where(HOLDS_PHONES),
  ],
)

/**
 * The two parties of each open session, written and deleted in the same statement as the session
 * (so no foreign key: its per-row check cost more than the rest of the insert). Also answers "is
 * this number in use?" through its index, whose first column is the number.
 */
export const sessionParties = sessionsSchema.table(
  'session_parties',
  {
    sessionId: text('session_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    maskedE164: text('masked_e164').notNull(),
    phone: text('phone').notNull(),
    /** The session's expiry, so a party of an expired (not yet swept) session does not count. */
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.phone] }), uniqueIndex('session_parties_number_phone_uq').on(t.maskedE164, t.phone)],
)

/**
 * The two PINs of each open PIN session, like `session_parties`: written and deleted in the same
 * statement as the session. The unique index keeps PINs unique among a number's open PIN
 * sessions, so a typed PIN names exactly one session and party.
 */
export const sessionPins = sessionsSchema.table(
  'session_pins',
  {
    sessionId: text('session_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    maskedE164: text('masked_e164').notNull(),
    pin: text('pin').notNull(),
    party: text('party', { enum: ['driver', 'customer'] }).notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.party] }), uniqueIndex('session_pins_number_pin_uq').on(t.maskedE164, t.pin)],
)

export const idempotencyKeys = idempotencyTable(sessionsSchema)
