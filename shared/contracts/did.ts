/**
 * did.* subjects: the DID pool, its assignments to tenants, and the operator commands on it.
 * `did.assignment.changed` tells every other service (sessions keeps a read model of it) that a
 * number became active, suspended or released for a tenant.
 */
import { Type as T, type Static } from '@sinclair/typebox'
import { event, request } from './define'
import { Empty, listOf, literals, Nullable, NullableTimestamp, Page, Ping, Timestamp } from './common'

export const ASSIGNMENT_STATUSES = ['active', 'released', 'suspended'] as const
export const AssignmentStatus = literals(ASSIGNMENT_STATUSES)
export type AssignmentStatus = Static<typeof AssignmentStatus>

/** A number's state in the pool: free to assign, resting after a release, or assigned. */
export const POOL_STATUSES = ['available', 'cooling_down', 'active', 'suspended'] as const
export const PoolStatus = literals(POOL_STATUSES)
export type PoolStatus = Static<typeof PoolStatus>

/** One assignment as the tenant sees it (`GET /v1/did/assignments`). */
export const Assignment = T.Object({
  id: T.String(),
  did_id: T.String(),
  e164: T.String(),
  /** ISO 3166-1 alpha-2; null for non-geographic numbers. */
  country: Nullable(T.String()),
  status: AssignmentStatus,
  assigned_at: Timestamp,
  released_at: NullableTimestamp,
  suspended_at: NullableTimestamp,
})
export type Assignment = Static<typeof Assignment>

export const AdminAssignment = T.Composite([Assignment, T.Object({ tenant_id: T.String() })])
export type AdminAssignment = Static<typeof AdminAssignment>

/** A pool entry with its current assignment (operator view). */
export const Did = T.Object({
  id: T.String(),
  e164: T.String(),
  country: Nullable(T.String()),
  capabilities: T.Array(T.String()),
  status: PoolStatus,
  /** While cooling down: when the number can be assigned again. */
  available_at: NullableTimestamp,
  created_at: Timestamp,
  assignment: Nullable(AdminAssignment),
})
export type Did = Static<typeof Did>

/** A number a tenant holds right now, as other services need it (sessions' read model). */
export const NumberState = T.Object({
  e164: T.String(),
  did_id: T.String(),
  assignment_id: T.String(),
  tenant_id: T.String(),
  country: Nullable(T.String()),
  status: T.Union([T.Literal('active'), T.Literal('suspended')]),
})
export type NumberState = Static<typeof NumberState>

export const AssignmentListQuery = T.Object({
  ...Page.properties,
  status: T.Union([AssignmentStatus, T.Literal('all')]),
})

export const DidListQuery = T.Object({
  ...Page.properties,
  status: T.Optional(T.Union([PoolStatus, T.Literal('all')])),
  tenant_id: T.Optional(T.String({ maxLength: 64 })),
})

export const DidImportInput = T.Object({
  numbers: T.Array(T.String({ maxLength: 32 }), { minItems: 1, maxItems: 1000, description: 'E.164 numbers to add to the pool' }),
}, { additionalProperties: false })

export const DidImportReply = T.Object({
  /** Numbers added by this request. */
  imported: T.Array(Did),
  /** Numbers that were already in the pool (left as they were). */
  already_known: T.Array(Did),
})

const E164Param = T.String({ maxLength: 32 })

export const did = {
  ping: request('did.health.ping', Empty, Ping),
  /** The calling tenant's assignments (tenant from the `tenant-id` header). */
  listAssignments: request('did.assignment.list', AssignmentListQuery, listOf(Assignment)),
  /**
   * Every number a tenant holds now (active or suspended): the sessions read model's fetch. Paged
   * by number id (`after` = the `did_id` of the last number of the previous page: an index range,
   * so each page costs the same however big the pool) so a big pool never exceeds a NATS
   * message; a page shorter than `limit` is the last. An `after` that is an E.164 number (a peer
   * from before) pages by number, as it used to.
   */
  tenantNumbers: request(
    'did.tenant.numbers',
    T.Object({ tenant_id: T.String({ maxLength: 64 }), after: T.Optional(T.String({ maxLength: 32 })), limit: T.Optional(T.Integer({ minimum: 1, maximum: 2000 })) }),
    T.Object({ tenant_id: T.String(), numbers: T.Array(NumberState) }),
  ),
  /** One number: in the pool or not (404 `did_not_found`), and who holds it now. */
  lookupNumber: request(
    'did.number.lookup',
    T.Object({ e164: E164Param }),
    T.Object({ e164: T.String(), did_id: T.String(), country: Nullable(T.String()), holder: Nullable(NumberState) }),
  ),
  /** Which of these numbers are in the pool at all (any state): the destination policy's check that a party is not a platform number. */
  knownNumbers: request(
    'did.number.known',
    T.Object({ numbers: T.Array(E164Param, { minItems: 1, maxItems: 100 }) }),
    T.Object({ known: T.Array(T.String()) }),
  ),
  // operator commands
  importNumbers: request('did.admin.import', DidImportInput, DidImportReply),
  listPool: request('did.admin.list', DidListQuery, listOf(Did)),
  assign: request('did.admin.assign', T.Object({ e164: E164Param, tenant_id: T.String({ maxLength: 64 }) }), AdminAssignment),
  release: request('did.admin.release', T.Object({ e164: E164Param }), AdminAssignment),
  suspend: request('did.admin.suspend', T.Object({ e164: E164Param }), AdminAssignment),
  resume: request('did.admin.resume', T.Object({ e164: E164Param }), AdminAssignment),
  // events
  assignmentChanged: event(
    'did.assignment.changed',
    T.Object({
      tenant_id: T.String(),
      assignment_id: T.String(),
      did_id: T.String(),
      e164: T.String(),
      country: Nullable(T.String()),
      status: AssignmentStatus,
      changed_at: Timestamp,
    }),
  ),
}
