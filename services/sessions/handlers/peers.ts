import type { Bus } from '../../../shared/bus/bus'
import { sessions, type Session } from '../../../shared/contracts/sessions'
import type { RouteSession } from '../route-decision'
import type { NumberAllocator } from '../allocate-number'
import type { RouteIndex } from '../route-index'

/**
 * What this instance learns from the other sessions instances: their creates and ends keep the
 * route index current (its own arrive too, and change nothing), and their creates move the
 * number they took to the back of this instance's allocation order, so it does not try a number
 * a peer just took. A lost bus connection may have lost events, so the index starts over when
 * it is back.
 */
export function followPeers(bus: Bus, index: RouteIndex, allocator?: Pick<NumberAllocator, 'usedElsewhere'>): void {
  bus.subscribe(sessions.created, (s) => {
    index.put(routeSessionOf(s))
    allocator?.usedElsewhere(s.tenant_id, s.masked_e164, Date.parse(s.created_at))
  })
  bus.subscribe(sessions.updated, (s) => index.put(routeSessionOf(s)))
  bus.subscribe(sessions.completed, (s) => index.drop(routeSessionOf(s)))
  bus.subscribe(sessions.expired, (s) => index.drop(routeSessionOf(s)))
  bus.onReconnect(() => index.clear())
}

function routeSessionOf(s: Session): RouteSession {
  return {
    id: s.id,
    tenantId: s.tenant_id,
    orderId: s.order_id,
    driverPhone: s.driver_phone,
    customerPhone: s.customer_phone,
    maskedE164: s.masked_e164,
    status: s.status,
    expiresAt: new Date(s.expires_at),
    pinRequired: s.pin_required,
    callTimeLimitSeconds: s.call_time_limit_seconds,
    ringTimeoutSeconds: s.ring_timeout_seconds,
    greetingPrompt: s.greeting_prompt,
    record: s.record,
  }
}
