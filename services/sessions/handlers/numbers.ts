import type { Bus } from '../../../shared/bus/bus'
import { did } from '../../../shared/contracts/did'
import { identity } from '../../../shared/contracts/identity'
import type { NumberDirectory } from '../number-directory'
import type { SessionLifecycle } from '../session-lifecycle'
import type { TenantSettings } from '../tenant-settings'

/**
 * What sessions learns from the other services: number changes (every instance updates its read
 * model; one instance ends the sessions of a released number) and tenant setting changes; after a
 * lost bus connection, both read models start over.
 */
export function followNumbers(bus: Bus, directory: NumberDirectory, settings: TenantSettings, life: SessionLifecycle, recheckMs: number): () => void {
  const timers = new Set<ReturnType<typeof setTimeout>>()
  bus.subscribe(did.assignmentChanged, (c) => directory.apply(c))
  bus.subscribe(
    did.assignmentChanged,
    async (c, ctx) => {
      if (c.status !== 'released') return
      await life.numberReleased(c.tenant_id, c.e164, ctx)
      // A create that read the number as active just before the release may commit just after
      // it; one more pass a moment later ends that one too.
      const t = setTimeout(() => {
        timers.delete(t)
        void life.numberReleased(c.tenant_id, c.e164, ctx).catch(() => undefined)
      }, recheckMs)
      timers.add(t)
    },
    { queue: 'sessions.number-released' },
  )
  bus.subscribe(identity.tenantUpdated, ({ tenant_id }) => settings.invalidate(tenant_id))
  // Events sent while the connection was down were missed: start both read models over.
  bus.onReconnect(() => {
    directory.clear()
    settings.clear()
  })
  return () => {
    for (const t of timers) clearTimeout(t)
    timers.clear()
  }
}
