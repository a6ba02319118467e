/**
 * Structural checks of infra/compose.yaml against the services' own definitions (no Docker
 * needed; `docker-compose -f infra/compose.yaml config` is the syntax check where it is installed):
 *
 *   bun infra/compose-check.ts
 *
 * - a three-node NATS cluster (JetStream on, every node routed to every other), PostgreSQL, drachtio-server and the five services are there, every one
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
/** The NATS cluster's nodes: each routes to all of them, and every service's NATS_URL lists all of them. */
export const NATS_NODES = ['nats-1', 'nats-2', 'nats-3'] as const
export const BACKING = [...NATS_NODES, 'postgres', 'drachtio', 'rtpengine'] as const
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
  for (const node of NATS_NODES) {
    const nats = services[node]
    if (!nats) continue
    const cmd = (Array.isArray(nats.command) ? nats.command : String(nats.command ?? '').split(/\s+/)).map(String)
    const arg = (...flags: string[]) => {
      const i = cmd.findIndex((x: string) => flags.includes(x))
      return i >= 0 ? cmd[i + 1] : undefined
    }
    if (!cmd.includes('-js') && !cmd.includes('--jetstream')) p(node, 'JetStream is not on (-js)')
    const monitor = arg('-m', '--http_port')
    if (!monitor) p(node, 'no monitoring port (-m) for the health check')
    else if (!testOf(nats).join(' ').includes(`:${monitor}/healthz`)) p(node, `health check does not use the monitoring port ${monitor} /healthz`)
    if (!arg('--cluster')) p(node, 'is not a cluster member (--cluster)')
    const routes = (arg('--routes') ?? '').split(',')
    for (const peer of NATS_NODES) if (!routes.includes(`nats://${peer}:6222`)) p(node, `--routes does not list ${peer}`)
    // Authenticated bus: the shipped users and permissions, mounted where -c reads them.
    const config = arg('-c', '--config')
    const mount = (nats.volumes ?? []).map(String).find((v: string) => v.split(':')[1] === config)
    if (!config) p(node, 'runs without a configuration (-c): anyone could connect as anyone')
    else if (!mount || !existsSync(join(dir, mount.split(':')[0]!))) p(node, `the configuration ${config} is not mounted from a file in infra/`)
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

  // The `scale` profile: Kamailio's dispatcher list names exactly the drachtio-servers of the profile.
  const lb = services['sip-lb']
  if (lb) {
    const list = join(dir, 'kamailio/dispatcher.list')
    const members = existsSync(list) ? [...readFileSync(list, 'utf8').matchAll(/^1 sip:([\w.-]+):5060/gm)].map((m) => m[1]!) : []
    const engines = Object.keys(services).filter((n) => n === 'drachtio' || n.startsWith('drachtio-'))
    if (members.sort().join(',') !== engines.sort().join(',')) p('sip-lb', `kamailio/dispatcher.list lists ${members.join(', ') || 'nothing'}, the drachtio-servers are ${engines.join(', ')}`)
    for (const e of engines) if (!Object.keys(dependsOn(lb)).includes(e)) p('sip-lb', `does not wait for ${e}`)
  }
  // Every rtpengine (rtpengine, and the scale profile's rtpengine-b).
  for (const [rname, rtpengine] of Object.entries(services).filter(([n]) => n === 'rtpengine' || n.startsWith('rtpengine-'))) {
    const dockerfile = join(dir, String(rtpengine.build ?? ''), 'Dockerfile')
    const entry = existsSync(dockerfile) ? readFileSync(dockerfile, 'utf8') : ''
    for (const flag of ['--config-file=none', '--table=-1']) if (!entry.includes(flag)) p(rname, `its image must run with ${flag} (userspace, no packaged config)`)
    const cmd = (rtpengine.command ?? []).map(String)
    if (!cmd.some((x: string) => x.startsWith('--listen-ng='))) p(rname, 'no --listen-ng control port')
    if (!cmd.some((x: string) => x.startsWith('--port-min=')) || !cmd.some((x: string) => x.startsWith('--port-max='))) p(rname, 'no RTP port range (--port-min/--port-max)')
    if (!testOf(rtpengine).join(' ').includes('rtpengine-healthcheck')) p(rname, 'health check should ping over ng (rtpengine-healthcheck)')
  }

  // The platform services.
  for (const [name, svc] of Object.entries(services)) {
    const env = envOf(svc)
    if (!('SERVICE' in env)) continue
    const service = env.SERVICE
    // A second instance (the `scale` profile's call-control-b) is named <service>-<suffix>.
    if (!isServiceName(service) || (service !== name && !name.startsWith(`${service}-`))) {
      p(name, `SERVICE must be the compose service's name (got ${service})`)
      continue
    }
    if (!testOf(svc).some((x) => x.includes('infra/healthcheck.ts'))) p(name, 'health check should run infra/healthcheck.ts (/ready)')
    const deps = Object.keys(dependsOn(svc))
    if (!env.NATS_URL) p(name, 'NATS_URL is not set')
    if (env.NATS_USER !== service || !env.NATS_PASSWORD) p(name, 'does not connect to NATS as its own user (NATS_USER = its SERVICE, NATS_PASSWORD)')
    for (const node of NATS_NODES) {
      if (env.NATS_URL && !env.NATS_URL.split(',').includes(`nats://${node}:4222`)) p(name, `NATS_URL does not list ${node}`)
      if (!deps.includes(node)) p(name, `does not wait for ${node}`)
    }
    for (const s of SECRET_VARS) {
      const v = env[s]
      if (v !== undefined && !new RegExp(`^\\$\\{${s}:\\?[^}]*\\}$`).test(v)) p(name, `${s} must be the required interpolation \${${s}:?…}, never a literal or a default`)
    }
    if (service === 'call-control') {
      // Each call-control has its own drachtio-server: call-control ↔ drachtio, call-control-b ↔ drachtio-b.
      const engine = name === service ? 'drachtio' : `drachtio${name.slice(service.length)}`
      if (!deps.includes(engine)) p(name, `does not wait for ${engine}`)
      if (env.DRACHTIO_HOST !== engine) p(name, `DRACHTIO_HOST should be the ${engine} service (got ${env.DRACHTIO_HOST})`)
      if (services[engine] && envOf(services[engine]).DRACHTIO_SECRET !== env.DRACHTIO_SECRET) p(name, `DRACHTIO_SECRET differs from the ${engine} service's`)
      // …and its own rtpengine: call-control ↔ rtpengine, call-control-b ↔ rtpengine-b.
      const rname = name === service ? 'rtpengine' : `rtpengine${name.slice(service.length)}`
      if (!deps.includes(rname)) p(name, `does not wait for ${rname}`)
      if (!env.RTPENGINE_URLS) p(name, 'RTPENGINE_URLS is not set (calls are never bridged unanchored)')
      if (services[rname]) for (const x of checkMediaPair(name, svc, env, rname, services[rname], dir)) p(name, x)
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
    if (!checked.includes(service)) checked.push(service)
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

const volumesOf = (svc: Doc): { source: string; target: string; readOnly: boolean }[] =>
  (svc.volumes ?? []).map((v: unknown) => {
    if (typeof v !== 'string') return { source: String((v as Doc).source ?? ''), target: String((v as Doc).target ?? ''), readOnly: Boolean((v as Doc).read_only) }
    const [source = '', target = '', mode = ''] = v.split(':')
    return { source, target, readOnly: mode.split(',').includes('ro') }
  })
const flagOf = (svc: Doc, flag: string): string | undefined =>
  (svc.command ?? []).map(String).find((x: string) => x.startsWith(`${flag}=`))?.slice(flag.length + 1)

/**
 * A call-control and its rtpengine work together on prompts and digits: rtpengine plays prompt
 * files by path (call-control's PROMPTS_DIR must be one volume at the same path in both), it sends
 * DTMF events to --dtmf-log-dest (which must reach call-control's DTMF_EVENTS_LISTEN), the ng
 * port is the one RTPENGINE_URLS names, and the image has the tools that make the built-in prompts.
 */
export function checkMediaPair(name: string, svc: Doc, env: Record<string, string>, rname: string, rtpe: Doc, dir: string): string[] {
  const out: string[] = []
  const ng = flagOf(rtpe, '--listen-ng')
  const ngPort = ng?.split(':').at(-1)
  const urls = (env.RTPENGINE_URLS ?? '').split(',').map((u) => u.trim())
  if (ngPort && !urls.some((u) => u.split(':').at(-1) === ngPort)) out.push(`RTPENGINE_URLS (${env.RTPENGINE_URLS}) does not name ${rname}'s ng port ${ngPort}`)

  // Prompts: one volume, one path, in both containers.
  const prompts = env.PROMPTS_DIR
  if (!prompts?.startsWith('/')) out.push(`PROMPTS_DIR must be set to an absolute path that ${rname} mounts too (got ${prompts ?? 'the default ./data/prompts'})`)
  else {
    const mine = volumesOf(svc).find((v) => v.target === prompts)
    const theirs = volumesOf(rtpe).find((v) => v.target === prompts)
    if (!mine) out.push(`PROMPTS_DIR ${prompts} is not on a volume (${rname} cannot read the prompts)`)
    else if (mine.readOnly) out.push(`PROMPTS_DIR ${prompts} is mounted read-only (call-control writes the prompts)`)
    if (mine && theirs?.source !== mine.source) out.push(`${rname} does not mount call-control's PROMPTS_DIR volume ${mine.source} at ${prompts} (it plays prompts by path)`)
  }

  // DTMF events: rtpengine → call-control's listener.
  const dest = flagOf(rtpe, '--dtmf-log-dest')
  const listen = env.DTMF_EVENTS_LISTEN ?? '127.0.0.1:9124'
  const listenHost = listen.slice(0, listen.lastIndexOf(':'))
  const listenPort = listen.slice(listen.lastIndexOf(':') + 1)
  if (!dest) out.push(`${rname} has no --dtmf-log-dest: PIN entry would get no digits`)
  else if (rtpe.network_mode === 'host' && svc.network_mode !== 'host') {
    // rtpengine on the host network reaches call-control only through a port published on the host's loopback.
    const [dHost, dPort] = [dest.slice(0, dest.lastIndexOf(':')), dest.slice(dest.lastIndexOf(':') + 1)]
    const published = (svc.ports ?? []).map(String).some((x: string) => x === `${dHost}:${dPort}:${listenPort}/udp`)
    if (dHost !== '127.0.0.1') out.push(`${rname}'s --dtmf-log-dest ${dest} should be the host's loopback, where call-control's DTMF port is published`)
    if (!published) out.push(`${rname}'s --dtmf-log-dest ${dest} does not reach DTMF_EVENTS_LISTEN ${listen} (publish "${dHost}:${dPort}:${listenPort}/udp")`)
    if (['127.0.0.1', 'localhost', '::1'].includes(listenHost)) out.push(`DTMF_EVENTS_LISTEN ${listen} is the container's loopback: a published port cannot reach it (0.0.0.0)`)
    if (!env.DTMF_EVENTS_SOURCES) out.push("DTMF_EVENTS_SOURCES must name where Docker's port publishing delivers rtpengine's datagrams from (else every digit is dropped)")
  } else if (dest !== `${name}:${listenPort}`) out.push(`${rname}'s --dtmf-log-dest ${dest} should be ${name}:${listenPort} (DTMF_EVENTS_LISTEN ${listen})`)

  // The built-in prompts are made in the image call-control runs.
  const dockerfile = svc.build ? join(dir, String(svc.build.context ?? '.'), String(svc.build.dockerfile ?? 'Dockerfile')) : undefined
  const tools = dockerfile && existsSync(dockerfile) ? runtimePackages(readFileSync(dockerfile, 'utf8')) : []
  for (const tool of PROMPT_TOOLS) if (!tools.includes(tool)) out.push(`its image (${svc.build?.dockerfile ?? '?'}) does not install ${tool} (the built-in prompts need it)`)
  return out
}

/** Debian packages the built-in prompts need (shared/prompts/builtin.ts). */
export const PROMPT_TOOLS = ['espeak-ng', 'sox'] as const

/** Packages `apt-get install`ed in a Dockerfile's last stage (the image that runs). */
export function runtimePackages(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => !l.trim().startsWith('#'))
  const last = lines.findLastIndex((l) => /^\s*FROM\s/i.test(l))
  return lines
    .slice(last)
    .flatMap((l) => [...l.matchAll(/apt-get install ([^&;]*)/g)].map((m) => m[1]!))
    .flatMap((args) => args.split(/\s+/).filter((a) => a && !a.startsWith('-')))
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
