/**
 * The gateway's Elysia app: one instance per resource (routes/), access as a macro (access.ts),
 * one error funnel (onError), the OpenAPI document generated from the routes by the openapi
 * plugin. `/ready` and `/metrics` are not here: they are on OPS_PORT (service.ts), off the
 * public port.
 */
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { httpRequests } from '../../shared/metrics'
import { accessPlugin, requestIdOf, type GatewayDeps } from './access'
import { appErrorOf, errorBody, requestIdOf as requestIdFrom } from './http-errors'
import { checkHeaderSize, readBody } from './input-guard'
import { documentation } from './openapi-document'
import { adminDidRoutes } from './routes/admin-dids'
import { adminTenantRoutes } from './routes/admin-tenants'
import { apiKeyRoutes } from './routes/api-keys'
import { callRoutes } from './routes/calls'
import { didRoutes } from './routes/dids'
import { healthRoutes } from './routes/health'
import { privacyRoutes } from './routes/privacy'
import { promptRoutes } from './routes/prompts'
import { recordingRoutes } from './routes/recordings'
import { sessionRoutes } from './routes/sessions'
import { settingsRoutes } from './routes/settings'
import { webhookSecretRoutes } from './routes/webhook-secret'
import type { RouteSchemas } from './validation'
import { scalarPageOptions, webUi } from './web'

export type { GatewayDeps } from './access'

const started = new WeakMap<Request, number>()

export function createGatewayApp(deps: GatewayDeps) {
  // Declared schemas per route (filled once the routes exist), for query coercion and the error
  // funnel's complete 422.
  const schemas = new Map<string, RouteSchemas>()
  const schemasOf = (method: string, route: string) => schemas.get(`${method} ${route}`)
  const access = accessPlugin(deps, schemasOf)

  const app = new Elysia({ name: 'gateway', normalize: false })
    .onRequest(({ request, set }) => {
      started.set(request, performance.now())
      set.headers['x-request-id'] = requestIdFrom(request.headers)
      checkHeaderSize(request)
    })
    .onParse(readBody)
    .onError(({ code, error, request, set, route, params, body }) => {
      const requestId = requestIdOf(set) ?? requestIdFrom(request.headers)
      const e = appErrorOf({ code, error, request, route, params: params as Record<string, unknown>, body }, schemasOf, deps.log, requestId)
      set.status = e.status
      set.headers['content-type'] = 'application/json'
      set.headers['x-request-id'] = requestId
      return errorBody(e, requestId)
    })
    .onAfterResponse(({ request, route, set }) => {
      const t0 = started.get(request)
      if (t0 === undefined || !route) return
      const seconds = (performance.now() - t0) / 1000
      const status = typeof set.status === 'number' ? set.status : 200
      httpRequests.observe({ service: 'gateway', method: request.method, route, status: String(status) }, seconds)
      deps.log.debug({ request_id: requestIdOf(set), method: request.method, route, status, ms: Math.round(seconds * 1000) }, 'request')
    })
    .use(openapi({ path: '/docs', specPath: '/openapi.json', documentation, exclude: { paths: ['/docs', '/openapi.json'] }, scalar: scalarPageOptions as never }))
    .use(webUi)
    .use(healthRoutes(access))
    .use(apiKeyRoutes(access))
    .use(adminTenantRoutes(access))
    .use(sessionRoutes(access))
    .use(promptRoutes(access))
    .use(settingsRoutes(access))
    .use(callRoutes(access))
    .use(recordingRoutes(access))
    .use(webhookSecretRoutes(access))
    .use(privacyRoutes(access))
    .use(didRoutes(access))
    .use(adminDidRoutes(access))

  for (const r of app.routes) {
    const h = r.hooks as RouteSchemas
    schemas.set(`${r.method} ${r.path}`, { query: h.query, params: h.params, headers: h.headers, body: h.body })
  }
  return app
}

