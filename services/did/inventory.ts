/** The pool: importing numbers (idempotent) and the operator's view of it. */
import { and, asc, count, eq, gt, inArray, isNull, lte, or, type SQL } from 'drizzle-orm'
import type { Did, DidListQuery } from '../../shared/contracts/did'
import type { Static } from '@sinclair/typebox'
import type { Db } from '../../shared/db/database'
import { AppError, validationError, type ValidationIssue } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { parseE164, type ParsedPhone } from '../../shared/phone'
import { iso } from '../../shared/time'
import { didAssignments, dids } from './db/schema'
import { poolStatus } from './pool-status'

type DidRow = typeof dids.$inferSelect
type AssignmentRow = typeof didAssignments.$inferSelect

export const CURRENT = ['active', 'suspended'] as const

/** The join every pool query uses: each number with its current assignment, if any. */
const currentAssignment = and(eq(didAssignments.didId, dids.id), inArray(didAssignments.status, [...CURRENT]))

export function toAdminAssignment(a: AssignmentRow, d: Pick<DidRow, 'e164' | 'country'>) {
  return {
    id: a.id,
    did_id: a.didId,
    tenant_id: a.tenantId,
    e164: d.e164,
    country: d.country,
    status: a.status,
    assigned_at: a.assignedAt.toISOString(),
    released_at: iso(a.releasedAt),
    suspended_at: iso(a.suspendedAt),
  }
}

export function toDid(d: DidRow, a: AssignmentRow | null, now = new Date()): Did {
  const status = poolStatus(a, d.availableAt, now)
  return {
    id: d.id,
    e164: d.e164,
    country: d.country,
    capabilities: d.capabilities,
    status,
    available_at: status === 'cooling_down' ? iso(d.availableAt) : null,
    created_at: d.createdAt.toISOString(),
    assignment: a ? toAdminAssignment(a, d) : null,
  }
}

/** Parses an operator's list of numbers; any that is not E.164 makes the whole request a 422. */
export function parseNumbers(numbers: string[]): ParsedPhone[] {
  const issues: ValidationIssue[] = []
  const out = new Map<string, ParsedPhone>()
  numbers.forEach((n, i) => {
    const p = parseE164(n)
    if (!p) issues.push({ loc: ['body', 'numbers', i], msg: 'Value should be a valid E.164 phone number, e.g. +14155550100', type: 'value_error' })
    else out.set(p.e164, p)
  })
  if (issues.length) throw validationError(issues)
  return [...out.values()]
}

/** Adds numbers to the pool; numbers already there are reported, not duplicated. */
export async function importNumbers(db: Db, numbers: string[]) {
  const parsed = parseNumbers(numbers)
  const inserted = await db
    .insert(dids)
    .values(parsed.map((p) => ({ id: newId('did'), e164: p.e164, country: p.country })))
    .onConflictDoNothing({ target: dids.e164 })
    .returning()
  const fresh = new Set(inserted.map((r) => r.e164))
  const known = parsed.filter((p) => !fresh.has(p.e164)).map((p) => p.e164)
  const knownRows = known.length
    ? await db.select().from(dids).leftJoin(didAssignments, currentAssignment).where(inArray(dids.e164, known)).orderBy(asc(dids.e164))
    : []
  return {
    imported: inserted.sort((a, b) => (a.e164 < b.e164 ? -1 : 1)).map((d) => toDid(d, null)),
    already_known: knownRows.map((r) => toDid(r.dids, r.did_assignments)),
  }
}

export async function listPool(db: Db, q: Static<typeof DidListQuery>) {
  const now = new Date()
  const where: SQL[] = []
  switch (q.status ?? 'all') {
    case 'active':
    case 'suspended':
      where.push(eq(didAssignments.status, q.status as 'active' | 'suspended'))
      break
    case 'available':
      where.push(isNull(didAssignments.id), or(isNull(dids.availableAt), lte(dids.availableAt, now))!)
      break
    case 'cooling_down':
      where.push(isNull(didAssignments.id), gt(dids.availableAt, now))
      break
  }
  if (q.tenant_id) where.push(eq(didAssignments.tenantId, q.tenant_id))
  const cond = where.length ? and(...where) : undefined
  const [rows, [total]] = await Promise.all([
    db.select().from(dids).leftJoin(didAssignments, currentAssignment).where(cond).orderBy(asc(dids.e164)).limit(q.limit).offset(q.offset),
    db.select({ n: count() }).from(dids).leftJoin(didAssignments, currentAssignment).where(cond),
  ])
  return { items: rows.map((r) => toDid(r.dids, r.did_assignments, now)), limit: q.limit, offset: q.offset, total: Number(total?.n ?? 0) }
}

/** A number in the pool with its current assignment; 404 `did_not_found` if not in the pool. */
export async function findDid(db: Db, e164: string) {
  const [r] = await db.select().from(dids).leftJoin(didAssignments, currentAssignment).where(eq(dids.e164, e164))
  if (!r) throw new AppError('did_not_found', `${e164} is not in the pool`)
  return { did: r.dids, current: r.did_assignments }
}
