/** `GET /health`: the platform's health as a tenant sees it: every service answers, or 503. */
import { Elysia } from 'elysia'
import type { Bus } from '../../../shared/bus/bus'
import { calls } from '../../../shared/contracts/calls'
import type { RequestContract } from '../../../shared/contracts/define'
import { did } from '../../../shared/contracts/did'
import { identity } from '../../../shared/contracts/identity'
import { sessions } from '../../../shared/contracts/sessions'
import { VERSION } from '../../../shared/version'
import { publicAccess, type AccessPlugin } from '../access'
import { models } from '../models'
import { errorSchema, HEADERS_TOO_LARGE, modelResponse, requestIdHeader } from '../responses'

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
  return Object.fromEntries(entries) as Record<'identity' | 'did' | 'sessions' | 'call_control', 'ok' | 'unavailable'>
}

export const healthRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:health' })
    .use(access)
    .use(models)
    .get(
      '/health',
      async ({ bus, requestId, status }) => {
        const services = await serviceHealth(bus, requestId)
        const ok = Object.values(services).every((s) => s === 'ok')
        return ok ? { status: 'ok' as const, services, version: VERSION } : status(503, { status: 'degraded' as const, services, version: VERSION })
      },
      {
        access: publicAccess,
        response: { 200: modelResponse('Health', requestIdHeader), 431: errorSchema(431, HEADERS_TOO_LARGE, requestIdHeader), 503: modelResponse('HealthDegraded', requestIdHeader) },
        detail: {
          tags: ['health'],
          summary: 'Health',
          operationId: 'health_health_get',
          description: 'Each service behind the gateway and whether it answers: 200 when all do, 503 (same body, `status: degraded`) when any does not.',
          security: [],
        },
      },
    )
