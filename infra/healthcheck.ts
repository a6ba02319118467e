/**
 * Container health check (Dockerfile HEALTHCHECK and compose): exits 0 when this container's
 * service answers 200 on `/ready`, else 1. Runs with Bun because the slim image has no curl.
 * The port is PORT, else the service's default (the same defaults the services declare); the
 * gateway's is OPS_PORT (default 9090).
 */
export const DEFAULT_PORTS: Record<string, number> = {
  gateway: 8080,
  identity: 8081,
  did: 8082,
  sessions: 8083,
  'call-control': 8084,
  // all-in-one serves the gateway's HTTP (its /ready covers the shared bus).
  'all-in-one': 8080,
}

export function healthUrl(env: Record<string, string | undefined>): string {
  const service = env.SERVICE || 'all-in-one'
  // The gateway (and all-in-one, which runs it) serves /ready on OPS_PORT, off the public port.
  const gateway = service === 'gateway' || service === 'all-in-one'
  const port = gateway ? env.OPS_PORT || '9090' : env.PORT || String(DEFAULT_PORTS[service] ?? 8080)
  return `http://127.0.0.1:${port}/ready`
}

if (import.meta.main) {
  try {
    const res = await fetch(healthUrl(process.env), { signal: AbortSignal.timeout(2500) })
    process.exit(res.status === 200 ? 0 : 1)
  } catch {
    process.exit(1)
  }
}
