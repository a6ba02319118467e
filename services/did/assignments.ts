/**
 * Assignments: a number goes to one tenant at a time (a unique index on the current assignment
 * makes that hold under any race), can be suspended and resumed, and after a release rests in
 * cool-down before another tenant can get it, so old parties do not reach a new tenant.
 * Every change to one number takes that number's row lock first, so they apply one at a time.
 */
import { and, asc, count, desc, eq, gt, inArray, type SQL } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import type { AdminAssignment, AssignmentListQuery, NumberState } from '../../shared/contracts/did'
import { isUniqueViolation, type Db } from '../../shared/db/database'
import { AppError, validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { parseE164 } from '../../shared/phone'
import { iso } from '../../shared/time'
import { didAssignments, dids } from './db/schema'
import { CURRENT, findDid, toAdminAssignment } from './inventory'
import { cooldownEnd } from './pool-status'

type DidRow = typeof dids.$inferSelect
type AssignmentRow = typeof didAssignments.$inferSelect

export interface Change {
  assignment: AdminAssignment
  /** False when the command found the number already in the wanted state. */
  changed: boolean
}

/** A number from a path parameter: E.164 or a 422. */
export function requireE164(e164: string): string {
  const p = parseE164(e164)
  if (!p) throw validationError([{ loc: ['path', 'e164'], msg: 'Value should be a valid E.164 phone number, e.g. +14155550100', type: 'value_error' }])
  return p.e164
}

async function lockNumber(tx: Db, e164: string): Promise<{ did: DidRow; current: AssignmentRow | undefined }> {
  const [did] = await tx.select().from(dids).where(eq(dids.e164, e164)).for('update')
  if (!did) throw new AppError('did_not_found', `${e164} is not in the pool`)
  const [current] = await tx
    .select()
    .from(didAssignments)
    .where(and(eq(didAssignments.didId, did.id), inArray(didAssignments.status, [...CURRENT])))
  return { did, current }
}

export async function assign(db: Db, e164: string, tenantId: string): Promise<Change> {
  const number = requireE164(e164)
  try {
    return await db.transaction(async (tx) => {
      const { did, current } = await lockNumber(tx, number)
      if (current) {
        const whose = current.tenantId === tenantId ? 'this tenant' : 'another tenant'
        throw new AppError('did_not_available', `${number} is already assigned to ${whose}; release it first`, { extra: { did_status: current.status } })
      }
      const now = new Date()
      if (did.availableAt && did.availableAt > now) {
        throw new AppError('did_not_available', `${number} is cooling down after its release until ${did.availableAt.toISOString()}`, {
          extra: { did_status: 'cooling_down', available_at: did.availableAt.toISOString() },
        })
      }
      const [row] = await tx.insert(didAssignments).values({ id: newId('asg'), didId: did.id, tenantId, status: 'active', assignedAt: now }).returning()
      return { assignment: toAdminAssignment(row!, did), changed: true }
    })
  } catch (e) {
    // The unique index on current assignments is the last word if two assigns raced.
    if (isUniqueViolation(e)) throw new AppError('did_not_available', `${number} was just assigned by another request`)
    throw e
  }
}

export async function release(db: Db, e164: string, cooldownHours: number): Promise<Change> {
  const number = requireE164(e164)
  return db.transaction(async (tx) => {
    const { did, current } = await lockNumber(tx, number)
    if (!current) throw new AppError('did_not_assigned', `${number} is not assigned to any tenant`)
    const now = new Date()
    const [row] = await tx.update(didAssignments).set({ status: 'released', releasedAt: now }).where(eq(didAssignments.id, current.id)).returning()
    await tx
      .update(dids)
      .set({ availableAt: cooldownEnd(now, cooldownHours) })
      .where(eq(dids.id, did.id))
    return { assignment: toAdminAssignment(row!, did), changed: true }
  })
}

export async function suspend(db: Db, e164: string): Promise<Change> {
  const number = requireE164(e164)
  return db.transaction(async (tx) => {
    const { did, current } = await lockNumber(tx, number)
    if (!current) throw new AppError('did_not_assigned', `${number} is not assigned to any tenant`)
    // Suspending a suspended number changes nothing and says so by its unchanged suspended_at.
    if (current.status === 'suspended') return { assignment: toAdminAssignment(current, did), changed: false }
    const [row] = await tx.update(didAssignments).set({ status: 'suspended', suspendedAt: new Date() }).where(eq(didAssignments.id, current.id)).returning()
    return { assignment: toAdminAssignment(row!, did), changed: true }
  })
}

export async function resume(db: Db, e164: string): Promise<Change> {
  const number = requireE164(e164)
  return db.transaction(async (tx) => {
    const { did, current } = await lockNumber(tx, number)
    if (!current) throw new AppError('did_not_assigned', `${number} is not assigned to any tenant`)
    if (current.status !== 'suspended') throw new AppError('did_not_suspended', `${number} is not suspended`)
    const [row] = await tx.update(didAssignments).set({ status: 'active', suspendedAt: null }).where(eq(didAssignments.id, current.id)).returning()
    return { assignment: toAdminAssignment(row!, did), changed: true }
  })
}

/** The tenant's assignments, newest first (`GET /v1/did/assignments`). */
export async function listAssignments(db: Db, tenantId: string, q: Static<typeof AssignmentListQuery>) {
  const where: SQL[] = [eq(didAssignments.tenantId, tenantId)]
  if (q.status !== 'all') where.push(eq(didAssignments.status, q.status))
  const cond = and(...where)
  const [rows, [total]] = await Promise.all([
    db.select().from(didAssignments).innerJoin(dids, eq(dids.id, didAssignments.didId)).where(cond).orderBy(desc(didAssignments.id)).limit(q.limit).offset(q.offset),
    db.select({ n: count() }).from(didAssignments).where(cond),
  ])
  return {
    items: rows.map(({ did_assignments: a, dids: d }) => ({
      id: a.id,
      did_id: a.didId,
      e164: d.e164,
      country: d.country,
      status: a.status,
      assigned_at: a.assignedAt.toISOString(),
      released_at: iso(a.releasedAt),
      suspended_at: iso(a.suspendedAt),
    })),
    limit: q.limit,
    offset: q.offset,
    total: Number(total?.n ?? 0),
  }
}

function toNumberState(a: AssignmentRow, d: DidRow): NumberState {
  return { e164: d.e164, did_id: d.id, assignment_id: a.id, tenant_id: a.tenantId, country: d.country, status: a.status as 'active' | 'suspended' }
}

/** The numbers a tenant holds now (active or suspended), one page in E.164 order. */
export async function tenantNumbers(db: Db, tenantId: string, page: { after?: string; limit?: number } = {}) {
  const rows = await db
    .select()
    .from(didAssignments)
    .innerJoin(dids, eq(dids.id, didAssignments.didId))
    .where(and(eq(didAssignments.tenantId, tenantId), inArray(didAssignments.status, [...CURRENT]), page.after ? gt(dids.e164, page.after) : undefined))
    .orderBy(asc(dids.e164))
    .limit(page.limit ?? 1000)
  return { tenant_id: tenantId, numbers: rows.map((r) => toNumberState(r.did_assignments, r.dids)) }
}

/** The numbers of `numbers` that are in the pool (one indexed query). */
export async function knownNumbers(db: Db, numbers: string[]): Promise<string[]> {
  const rows = await db.select({ e164: dids.e164 }).from(dids).where(inArray(dids.e164, numbers))
  return rows.map((r) => r.e164)
}

export async function lookupNumber(db: Db, e164: string) {
  const { did, current } = await findDid(db, e164)
  return { e164: did.e164, did_id: did.id, country: did.country, holder: current ? toNumberState(current, did) : null }
}
