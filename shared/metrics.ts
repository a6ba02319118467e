/**
 * Prometheus metrics (prom-client). Defined once per process with a `service` label, so the
 * all-in-one process and a single-service process expose the same names.
 */
import client from 'prom-client'

export const registry = new client.Registry()
client.collectDefaultMetrics({ register: registry })

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export const httpRequests = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by route, method and status',
  labelNames: ['service', 'method', 'route', 'status'] as const,
  buckets,
  registers: [registry],
})

export const busRequests = new client.Histogram({
  name: 'bus_request_duration_seconds',
  help: 'Bus requests sent, by subject and outcome (ok, error code, or transport failure)',
  labelNames: ['service', 'subject', 'outcome'] as const,
  buckets,
  registers: [registry],
})

export const busHandled = new client.Histogram({
  name: 'bus_handler_duration_seconds',
  help: 'Bus requests handled, by subject and outcome',
  labelNames: ['service', 'subject', 'outcome'] as const,
  buckets,
  registers: [registry],
})

export const keyVerifications = new client.Counter({
  name: 'api_key_verifications_total',
  help: 'API key verifications at the gateway, by result (cache_hit, verified, invalid, revoked, expired, malformed)',
  labelNames: ['result'] as const,
  registers: [registry],
})

export const rateLimited = new client.Counter({
  name: 'rate_limited_requests_total',
  help: 'Requests refused with 429',
  registers: [registry],
})

export { client as promClient }
