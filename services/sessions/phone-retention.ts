/**
 * sessions' part of phone retention and erasure (issue 12, item 14): ended sessions keep their
 * parties' numbers for the tenant's `phone_retention_days` after they end, then both become
 * ANONYMISED_PHONE; an erasure anonymises one number at once in the tenant's ended sessions.
 * Open sessions are never touched: routing needs their numbers (an erasure of a number in an
 * open session is refused with 409 `phone_in_open_session`; complete the session first).
 */
import { AppError } from '../../shared/errors'
import { retentionCutoff } from '../../shared/phone-retention'
import type { SessionLifecycle } from './session-lifecycle'
import type { SessionStore } from './session-store'

const BATCH = 1000

/** One retention pass over every tenant holding phones in ended sessions; returns how many sessions it anonymised. */
export async function anonymiseSessionsPastRetention(store: SessionStore, daysOf: (tenantId: string) => Promise<number>, now: Date): Promise<number> {
  let total = 0
  for (const tenantId of await store.tenantsHoldingPhones()) {
    const cutoff = retentionCutoff(now, await daysOf(tenantId))
    for (;;) {
      const n = await store.anonymiseEndedBefore(tenantId, cutoff, BATCH)
      total += n
      if (n < BATCH) break
    }
  }
  return total
}

export async function eraseSessionPhone(store: SessionStore, lifecycle: Pick<SessionLifecycle, 'sweep'>, tenantId: string, phone: string) {
  // Sessions past their expiry but not yet marked count as ended: mark them first.
  await lifecycle.sweep()
  const open = await store.openWithPhone(tenantId, phone)
  if (open.length) {
    throw new AppError('phone_in_open_session', `the number is a party of ${open.length} open session(s): complete them (POST /v1/sessions/{id}/complete), then erase`, {
      extra: { session_ids: open },
    })
  }
  return store.erasePhone(tenantId, phone)
}
