/**
 * Structural checks of infra/compose.yaml against the services' own definitions (no Docker
 * needed; `docker-compose -f infra/compose.yaml config` is the syntax check where it is installed):
 *
 *   bun infra/compose-check.ts
 *
 * - NATS (JetStream on), PostgreSQL, drachtio-server and the five services are there, every one
 *   with a health check; the services' check is /ready through infra/healthcheck.ts;
 * - depends_on waits for `service_healthy` of services that have a health check, with no cycle;
 *   each service waits for NATS, its database, call-control for drachtio, the gateway for the rest;
 * - every variable a service gets is one it reads; NATS_URL / DATABASE_URL where needed; secrets
 *   only as required interpolations (never literal); the values, interpolated with the defaults
 *   and sample secrets, pass the service's own config parsing;
 * - call-control's stop grace period is longer than its call drain; drachtio's config file exists;
 * - rtpengine runs userspace with no packaged config (its Dockerfile's entrypoint), answers an ng
 *   ping as its health check, and call-control waits for it and is given RTPENGINE_URLS.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isServiceName, loadServiceCatalog, SERVICE_NAMES, type ServiceInfo, type ServiceName } from './service-catalog'

/** A parsed YAML document (compose files are untyped). */
export type Doc = Record<string, any>
export const COMPOSE_FILE = join(import.meta.dir, 'compose.yaml')
export const BACKING = ['nats', 'postgres', 'drachtio', 'rtpengine'] as const
/** Variables that hold secrets: in compose only as `${VAR:?…}` from the env file. */
export const SECRET_VARS = [
  'ADMIN_TOKEN',
  'DRACHTIO_SECRET',
  'POSTGRES_PASSWORD',
  'SECRETS_KEY',
  'NATS_PASSWORD_GATEWAY',
  'NATS_PASSWORD_IDENTITY',
  'NATS_PASSWORD_DID',
  'NATS_PASSWORD_SESSIONS',
  'NATS_PASSWORD_CALL_CONTROL',
  'PG_PASSWORD_IDENTITY',
  'PG_PASSWORD_DID',
  'PG_PASSWORD_SESSIONS',
  'PG_PASSWORD_CALL_CONTROL',
] as const
/** Stand-ins for the required variables (what an operator's env file provides). */
export const SAMPLE_ENV: Record<string, string> = {
  POSTGRES_PASSWORD: 'example-password',
  ADMIN_TOKEN: 'adm_example_token_0123456789',
  DRACHTIO_SECRET: 'example-drachtio-secret',
  SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  NATS_PASSWORD_GATEWAY: 'example-nats-gateway',
  NATS_PASSWORD_IDENTITY: 'example-nats-identity',
  NATS_PASSWORD_DID: 'example-nats-did',
  NATS_PASSWORD_SESSIONS: 'example-nats-sessions',
  NATS_PASSWORD_CALL_CONTROL: 'example-nats-call-control',
  PG_PASSWORD_IDENTITY: 'examplepgidentity',
  PG_PASSWORD_DID: 'examplepgdid',
  PG_PASSWORD_SESSIONS: 'examplepgsessions',
  PG_PASSWORD_CALL_CONTROL: 'examplepgcallcontrol',
  SIP_OUTBOUND_TRUNK: 'trunk.example.net:5060;transport=udp',
  SIP_TRUSTED_SOURCES: '192.0.2.0/24',
  RTP_PUBLIC_IP: '203.0.113.10',
}

export function loadCompose(file = COMPOSE_FILE): Doc {
  return Bun.YAML.parse(readFileSync(file, 'utf8')) as Doc
}

/** Compose variable interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}. */
export function interpolate(value: string, vars: Record<string, string | undefined>): { value: string; missing: string[] } {
  const missing: string[] = []
  const out = value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, name, op, arg, bare) => {
    if (m === '$$') return '$'
    const v = vars[name ?? bare]
    const unset = v === undefined || (op?.startsWith(':') && v === '')
    if (!unset) return v!
    if (op === ':-' || op === '-') return arg ?? ''
    missing.push(name ?? bare)
    return ''
  })
  return { value: out, missing }
}

/** "150s", "2m", "1m30s", "1h" → seconds (compose durations). */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v !== 'string') return undefined
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|us|s|m|h)/g)]
  if (!parts.length || parts.map((p) => p[0]).join('') !== v) return undefined
  const unit: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0)
}

const envOf = (svc: Doc): Record<string, string> => {
  const e = svc.environment ?? {}
  if (Array.isArray(e)) return Object.fromEntries(e.map((x: string) => [x.split('=')[0], x.split('=').slice(1).join('=')]))
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]))
}
const dependsOn = (svc: Doc): Record<string, Doc> => {
  const d = svc.depends_on ?? {}
  return Array.isArray(d) ? Object.fromEntries(d.map((n: string) => [n, { condition: 'service_started' }])) : d
}
const testOf = (svc: Doc): string[] => {
  const t = svc.healthcheck?.test
  return Array.isArray(t) ? t.map(String) : typeof t === 'string' ? ['CMD-SHELL', t] : []
}

export interface ComposeResult {
  problems: string[]
  pending: string[]
  checked: string[]
}

export function checkCompose(doc: Doc, catalog: Map<ServiceName, ServiceInfo>, opts: { dir?: string } = {}): ComposeResult {
  const dir = opts.dir ?? import.meta.dir
  const problems: string[] = []
  const pending: string[] = []
  const checked: string[] = []
  const services: Record<string, Doc> = doc.services ?? {}
  const p = (name: string, msg: string) => problems.push(`compose service ${name}: ${msg}`)

  if ('name' in doc) problems.push('top-level `name:` is rejected by docker-compose 1.x: pass -p instead')
  for (const name of [...BACKING, ...SERVICE_NAMES]) if (!services[name]) problems.push(`compose: service ${name} is missing`)

  // Health checks and dependencies.
  for (const [name, svc] of Object.entries(services)) {
    const test = testOf(svc)
    if (!test.length || test[0] === 'NONE' || svc.healthcheck?.disable) p(name, 'has no health check')
    for (const [dep, cond] of Object.entries(dependsOn(svc))) {
      if (!services[dep]) p(name, `depends_on ${dep}, which is not a service`)
      else if (!testOf(services[dep]).length) p(name, `depends_on ${dep}, which has no health check`)
      if (cond?.condition !== 'service_healthy') p(name, `depends_on ${dep} should wait for condition: service_healthy`)
    }
  }
  const cycle = findCycle(Object.fromEntries(Object.entries(services).map(([n, s]) => [n, Object.keys(dependsOn(s))])))
  if (cycle) problems.push(`compose: depends_on cycle ${cycle.join(' → ')}`)

  // Backing services.
  const nats = services.nats
  if (nats) {
    const cmd = (Array.isArray(nats.command) ? nats.command : String(nats.command ?? '').split(/\s+/)).map(String)
    if (!cmd.includes('-js') && !cmd.includes('--jetstream')) p('nats', 'JetStream is not on (-js)')
    const mIdx = cmd.findIndex((x: string) => x === '-m' || x === '--http_port')
    const monitor = mIdx >= 0 ? cmd[mIdx + 1] : undefined
    if (!monitor) p('nats', 'no monitoring port (-m) for the health check')
    else if (!testOf(nats).join(' ').includes(`:${monitor}/healthz`)) p('nats', `health check does not use the monitoring port ${monitor} /healthz`)
    // Authenticated bus: the shipped users and permissions, mounted where -c reads them.
    const cIdx = cmd.findIndex((x: string) => x === '-c' || x === '--config')
    const mount = (nats.volumes ?? []).map(String).find((v: string) => v.split(':')[1] === cmd[cIdx + 1])
    if (cIdx < 0) p('nats', 'runs without a configuration (-c): anyone could connect as anyone')
    else if (!mount || !existsSync(join(dir, mount.split(':')[0]!))) p('nats', `the configuration ${cmd[cIdx + 1]} is not mounted from a file in infra/`)
  }
  const pg = services.postgres
  if (pg) {
    if (!testOf(pg).join(' ').includes('pg_isready')) p('postgres', 'health check should use pg_isready')
    if (!(pg.volumes ?? []).some((v: unknown) => String(typeof v === 'string' ? v : (v as Doc).target).includes('/var/lib/postgresql/data'))) p('postgres', 'has no volume for its data')
  }
  const drachtio = services.drachtio
  if (drachtio) {
    const mount = (drachtio.volumes ?? []).map(String).find((v: string) => v.split(':')[1] === '/etc/drachtio.conf.xml')
    if (!mount) p('drachtio', 'does not mount a config at /etc/drachtio.conf.xml')
    else if (!existsSync(join(dir, mount.split(':')[0]!))) p('drachtio', `config file ${mount.split(':')[0]} does not exist`)
    const ports = (drachtio.ports ?? []).map(String)
    for (const proto of ['udp', 'tcp']) if (!ports.some((x: string) => x.includes('5060') && (x.endsWith(`/${proto}`) || (proto === 'tcp' && !x.includes('/'))))) p('drachtio', `SIP 5060/${proto} is not published`)
  }

  const rtpengine = services.rtpengine
  if (rtpengine) {
    const dockerfile = join(dir, String(rtpengine.build ?? ''), 'Dockerfile')
    const entry = existsSync(dockerfile) ? readFileSync(dockerfile, 'utf8') : ''
    for (const flag of ['--config-file=none', '--table=-1']) if (!entry.includes(flag)) p('rtpengine', `its image must run with ${flag} (userspace, no packaged config)`)
    const cmd = (rtpengine.command ?? []).map(String)
    if (!cmd.some((x: string) => x.startsWith('--listen-ng='))) p('rtpengine', 'no --listen-ng control port')
    if (!cmd.some((x: string) => x.startsWith('--port-min=')) || !cmd.some((x: string) => x.startsWith('--port-max='))) p('rtpengine', 'no RTP port range (--port-min/--port-max)')
    if (!testOf(rtpengine).join(' ').includes('rtpengine-healthcheck')) p('rtpengine', 'health check should ping over ng (rtpengine-healthcheck)')
  }

  // The platform services.
  for (const [name, svc] of Object.entries(services)) {
    const env = envOf(svc)
    if (!('SERVICE' in env)) continue
    const service = env.SERVICE
    if (!isServiceName(service) || service !== name) {
      p(name, `SERVICE must be the compose service's name (got ${service})`)
      continue
    }
    if (!testOf(svc).some((x) => x.includes('infra/healthcheck.ts'))) p(name, 'health check should run infra/healthcheck.ts (/ready)')
    const deps = Object.keys(dependsOn(svc))
    if (!env.NATS_URL) p(name, 'NATS_URL is not set')
    if (env.NATS_USER !== name || !env.NATS_PASSWORD) p(name, 'does not connect to NATS as its own user (NATS_USER = its name, NATS_PASSWORD)')
    else if (!deps.includes('nats')) p(name, 'does not wait for nats')
    for (const s of SECRET_VARS) {
      const v = env[s]
      if (v !== undefined && !new RegExp(`^\\$\\{${s}:\\?[^}]*\\}$`).test(v)) p(name, `${s} must be the required interpolation \${${s}:?…}, never a literal or a default`)
    }
    if (service === 'call-control') {
      if (!deps.includes('drachtio')) p(name, 'does not wait for drachtio')
      if (!deps.includes('rtpengine')) p(name, 'does not wait for rtpengine')
      if (!env.RTPENGINE_URLS) p(name, 'RTPENGINE_URLS is not set (calls are never bridged unanchored)')
      if (env.DRACHTIO_HOST !== 'drachtio') p(name, `DRACHTIO_HOST should be the drachtio service (got ${env.DRACHTIO_HOST})`)
      if (drachtio && envOf(drachtio).DRACHTIO_SECRET !== env.DRACHTIO_SECRET) p(name, 'DRACHTIO_SECRET differs from the drachtio service\'s')
      const drain = Number(interpolate(env.SIP_DRAIN_TIMEOUT_S ?? '30', SAMPLE_ENV).value || 30)
      const grace = durationSeconds(svc.stop_grace_period ?? '10s')
      if (grace === undefined || grace < drain + 10) p(name, `stop_grace_period ${svc.stop_grace_period} must exceed SIP_DRAIN_TIMEOUT_S (${drain}) by at least 10 s`)
    }
    if (service === 'gateway') {
      for (const other of SERVICE_NAMES) if (other !== 'gateway' && services[other] && !deps.includes(other)) p(name, `does not wait for ${other} (the gateway opens last)`)
      const port = env.PORT ?? '8080'
      if (!(svc.ports ?? []).map(String).some((x: string) => x.split(':').at(-1) === port)) p(name, `port ${port} is not published`)
    }

    const info = catalog.get(service)
    if (!info) {
      pending.push(`compose service ${name} (services/${service}/service.ts does not exist yet)`)
      continue
    }
    checked.push(service)
    for (const k of Object.keys(env)) if (!info.envNames.has(k)) p(name, `${k} is not a variable ${service} reads`)
    if (info.hasDatabase) {
      if (!env.DATABASE_URL) p(name, 'DATABASE_URL is not set (the service has a database)')
      else if (!deps.includes('postgres')) p(name, 'does not wait for postgres')
    }
    const resolved: Record<string, string> = {}
    for (const [k, v] of Object.entries(env)) {
      const r = interpolate(v, SAMPLE_ENV)
      if (r.missing.length) p(name, `${k} uses ${r.missing.join(', ')} with no default and no SAMPLE_ENV value`)
      resolved[k] = r.value
    }
    const bad = info.checkEnv(resolved)
    if (bad) p(name, `its configuration does not parse: ${bad}`)
  }
  return { problems, pending, checked }
}

function findCycle(graph: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const path: string[] = []
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n]
    state.set(n, 'visiting')
    path.push(n)
    for (const d of graph[n] ?? []) {
      const c = visit(d)
      if (c) return c
    }
    path.pop()
    state.set(n, 'done')
    return undefined
  }
  for (const n of Object.keys(graph)) {
    const c = visit(n)
    if (c) return c
  }
  return undefined
}

if (import.meta.main) {
  const { problems, pending, checked } = checkCompose(loadCompose(), await loadServiceCatalog())
  for (const x of pending) process.stderr.write(`pending: ${x}\n`)
  if (problems.length) {
    for (const x of problems) process.stderr.write(`problem: ${x}\n`)
    process.exit(1)
  }
  process.stdout.write(`ok: infra/compose.yaml; services checked against their definitions: ${checked.join(', ')}\n`)
}
