/** Where a number stands in the pool; the rule behind the operator list and its status filter. */
import type { AssignmentStatus, PoolStatus } from '../../shared/contracts/did'

export function poolStatus(current: { status: AssignmentStatus } | null, availableAt: Date | null, now: Date): PoolStatus {
  if (current && current.status !== 'released') return current.status
  return availableAt && availableAt > now ? 'cooling_down' : 'available'
}

/** When a number released at `releasedAt` may be assigned again. */
export function cooldownEnd(releasedAt: Date, hours: number): Date {
  return new Date(releasedAt.getTime() + hours * 3_600_000)
}
