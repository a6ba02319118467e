/** The gateway's Elysia app: one instance per resource, the docs, the error funnel, the ops routes. */
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { AppError } from '../../shared/errors'
import { registry } from '../../shared/metrics'
import { readiness } from '../../shared/service'
import type { Endpoint } from './endpoint'
import { errorResponse } from './http-errors'
import { buildDocument } from './openapi-document'
import { requestIdOf, runEndpoint, type GatewayDeps } from './pipeline'
import { adminDidEndpoints } from './routes/admin-dids'
import { adminTenantEndpoints } from './routes/admin-tenants'
import { apiKeyEndpoints } from './routes/api-keys'
import { callEndpoints } from './routes/calls'
import { didEndpoints } from './routes/dids'
import { healthEndpoints } from './routes/health'
import { sessionEndpoints } from './routes/sessions'
import { webhookSecretEndpoints } from './routes/webhook-secret'
import { docsAssets, scalarPageOptions } from './web/docs-assets'

export const RESOURCES: { name: string; endpoints: Endpoint[] }[] = [
  { name: 'health', endpoints: healthEndpoints },
  { name: 'api-keys', endpoints: apiKeyEndpoints },
  { name: 'admin-tenants', endpoints: adminTenantEndpoints },
  { name: 'sessions', endpoints: sessionEndpoints },
  { name: 'calls', endpoints: callEndpoints },
  { name: 'webhook-secret', endpoints: webhookSecretEndpoints },
  { name: 'dids', endpoints: didEndpoints },
  { name: 'admin-dids', endpoints: adminDidEndpoints },
]

const elysiaPath = (p: string) => p.replace(/\{([^}]+)\}/g, ':$1')

function resource(name: string, endpoints: Endpoint[], deps: GatewayDeps) {
  const app = new Elysia({ name: `gateway:${name}` })
  for (const ep of endpoints) {
    app.route(ep.method, elysiaPath(ep.path), ({ request, params, server }) => runEndpoint(ep, deps, request, params as Record<string, string>, server), {
      detail: { hide: true },
      parse: 'none',
    })
  }
  return app
}

export function createGatewayApp(deps: GatewayDeps) {
  const endpoints = RESOURCES.flatMap((r) => r.endpoints)
  const app = new Elysia({ name: 'gateway' })
    .use(openapi({ path: '/docs', specPath: '/openapi.json', documentation: buildDocument(endpoints) as never, scalar: scalarPageOptions as never }))
    .use(docsAssets)
    .onError(({ code, request }) => {
      if (code !== 'NOT_FOUND' && code !== 'PARSE') return
      const requestId = requestIdOf(request.headers)
      const e = code === 'NOT_FOUND' ? new AppError('route_not_found', `no route for ${request.method} ${new URL(request.url).pathname}`) : new AppError('bad_request', 'malformed request')
      return errorResponse(e, requestId, new Headers({ 'x-request-id': requestId }))
    })
    .get(
      '/ready',
      async ({ set }) => {
        const checks = await readiness({ bus: deps.bus })
        const ok = Object.values(checks).every(Boolean)
        set.status = ok ? 200 : 503
        return { status: ok ? 'ready' : 'not_ready', service: 'gateway', checks }
      },
      { detail: { hide: true } },
    )
    .get(
      '/metrics',
      async ({ set }) => {
        set.headers['content-type'] = registry.contentType
        return registry.metrics()
      },
      { detail: { hide: true } },
    )
  for (const r of RESOURCES) app.use(resource(r.name, r.endpoints, deps))
  return app
}
