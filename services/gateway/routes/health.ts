/** `GET /health`: the platform's health as a tenant sees it: every service answers, or 503. */
import type { Bus } from '../../../shared/bus/bus'
import { calls } from '../../../shared/contracts/calls'
import type { RequestContract } from '../../../shared/contracts/define'
import { did } from '../../../shared/contracts/did'
import { identity } from '../../../shared/contracts/identity'
import { sessions } from '../../../shared/contracts/sessions'
import { VERSION } from '../../../shared/version'
import { endpoint, publicAccess, Reply } from '../endpoint'

/** The services behind the gateway, each answering its `<service>.health.ping`. */
export const SERVICE_PINGS: Record<string, RequestContract> = {
  identity: identity.ping,
  did: did.ping,
  sessions: sessions.ping,
  call_control: calls.ping,
}

export async function serviceHealth(bus: Bus, requestId: string, timeoutMs = 1000) {
  const entries = await Promise.all(
    Object.entries(SERVICE_PINGS).map(async ([name, c]) => {
      try {
        await bus.request(c, {}, { requestId, timeoutMs })
        return [name, 'ok'] as const
      } catch {
        return [name, 'unavailable'] as const
      }
    }),
  )
  return Object.fromEntries(entries) as Record<string, 'ok' | 'unavailable'>
}

export const healthEndpoints = [
  endpoint({
    method: 'GET',
    path: '/health',
    access: publicAccess,
    tags: [],
    summary: 'Health',
    operationId: 'health_health_get',
    description: 'Each service behind the gateway and whether it answers; 503 when any does not.',
    errors: { 503: 'A service is not answering' },
    handle: async ({ bus, requestId }) => {
      const services = await serviceHealth(bus, requestId)
      const ok = Object.values(services).every((s) => s === 'ok')
      return new Reply(ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', services, version: VERSION })
    },
  }),
]
