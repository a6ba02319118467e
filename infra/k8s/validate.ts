/**
 * Structural checks of the Kubernetes manifests in this folder, against each other and against
 * the services' own definitions (no cluster, no network):
 *
 *   bun infra/k8s/validate.ts
 *
 * - every document has apiVersion, kind, metadata.name; no duplicates; the right apiVersion;
 * - workloads: selectors match their pod template labels; minimum replicas; every probe points
 *   at a port the container declares, on /health, /ready or /metrics; requests and limits set;
 * - each service container: SERVICE names a service; its port is PORT or the service's default;
 *   readiness on /ready; liveness that does not depend on other services; every variable it gets
 *   is one that service reads; NATS_URL (and DATABASE_URL where it has a database) present;
 *   secrets only from the Secret; literal values pass the service's own config parsing;
 * - call-control: paired with one drachtio-server in the same pod sharing DRACHTIO_SECRET, and a
 *   grace period longer than its call drain; the drachtio config identical to infra/drachtio's;
 * - Services and PodDisruptionBudgets select an existing workload; target ports exist;
 * - kustomization.yaml lists every manifest and exists-checks its resources.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isServiceName, loadServiceCatalog, ROOT, type ServiceInfo, type ServiceName } from '../service-catalog'

/** A parsed YAML document (manifests are untyped). */
export type Doc = Record<string, any>
export interface Manifest {
  file: string
  doc: Doc
}

export const K8S_DIR = import.meta.dir
export const APP_IMAGE = 'masking-platform'
export const DRACHTIO_IMAGE = 'drachtio/drachtio-server'
/** Probe paths: the services' own, and nats-server's /healthz. */
export const OPS_PATHS = new Set(['/health', '/ready', '/metrics', '/healthz'])
/** Horizontal scale the platform is deployed with, at least. */
export const MIN_REPLICAS: Partial<Record<ServiceName, number>> = { gateway: 3, sessions: 2 }
/** Workloads that must have a PodDisruptionBudget. */
export const NEEDS_PDB: ServiceName[] = ['gateway', 'sessions']
/** Variables that hold secrets: only ever from a Secret. */
export const SECRET_VARS = new Set(['DATABASE_URL', 'ADMIN_TOKEN', 'DRACHTIO_SECRET', 'SECRETS_KEY', 'NATS_PASSWORD'])
/** Valid stand-ins for secrets a service requires, for parsing the rest of its configuration. */
const SECRET_SAMPLES: Record<string, string> = { SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' }
/** Files in this folder that are not applied by the kustomization. */
const NOT_APPLIED = new Set(['kustomization.yaml', 'secret.example.yaml'])

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Kustomization: 'kustomize.config.k8s.io/v1beta1',
}
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet'])

/** Every YAML document of every .yaml/.yml file in `dir`. */
export function loadManifests(dir = K8S_DIR): Manifest[] {
  const out: Manifest[] = []
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const parsed = Bun.YAML.parse(readFileSync(join(dir, file), 'utf8')) as unknown
    const docs = Array.isArray(parsed) ? parsed : [parsed]
    for (const doc of docs) if (doc && typeof doc === 'object') out.push({ file, doc: doc as Doc })
  }
  return out
}

const where = (m: Manifest) => `${m.file}: ${m.doc.kind ?? '?'} ${m.doc.metadata?.name ?? '?'}`
const isWorkload = (m: Manifest) => WORKLOAD_KINDS.has(m.doc.kind)
const imageName = (image: unknown) =>
  String(image ?? '')
    .replace(/@.*$/, '')
    .replace(/:[^/:]+$/, '')
const isAppImage = (image: unknown) => {
  const n = imageName(image)
  return n === APP_IMAGE || n.endsWith(`/${APP_IMAGE}`)
}
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v)

interface EnvEntry {
  value?: string
  from: 'literal' | 'configMap' | 'secret' | 'field'
  source?: string
}

export interface CheckResult {
  problems: string[]
  /** Service containers that could not be checked because the service does not exist yet. */
  pending: string[]
  /** Service containers checked against their service's definition. */
  checked: string[]
}

export function checkManifests(manifests: Manifest[], catalog: Map<ServiceName, ServiceInfo>, opts: { dir?: string } = {}): CheckResult {
  const dir = opts.dir ?? K8S_DIR
  const problems: string[] = []
  const pending: string[] = []
  const checked: string[] = []
  const p = (m: Manifest, msg: string) => problems.push(`${where(m)}: ${msg}`)
  const applied = manifests.filter((m) => !NOT_APPLIED.has(m.file))
  const byKind = (kind: string, set = manifests) => set.filter((m) => m.doc.kind === kind)
  const find = (kind: string, name: string) => manifests.find((m) => m.doc.kind === kind && m.doc.metadata?.name === name)

  // --- every document --------------------------------------------------------------------------
  const seen = new Set<string>()
  for (const m of manifests) {
    const { apiVersion, kind, metadata } = m.doc
    if (typeof apiVersion !== 'string' || !apiVersion) p(m, 'apiVersion is missing')
    if (typeof kind !== 'string' || !kind) p(m, 'kind is missing')
    if (kind === 'Kustomization') continue
    if (typeof metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(metadata.name)) p(m, 'metadata.name is missing or not a DNS-1123 name')
    if (API_VERSIONS[kind] && apiVersion !== API_VERSIONS[kind]) p(m, `apiVersion should be ${API_VERSIONS[kind]} for ${kind} (got ${apiVersion})`)
    const key = `${kind}/${metadata?.name}`
    if (seen.has(key)) p(m, 'defined twice')
    seen.add(key)
  }

  // --- workloads and their containers ----------------------------------------------------------
  const workloads = applied.filter(isWorkload)
  const serviceWorkloads = new Map<ServiceName, Manifest>()
  for (const w of workloads) {
    const spec = w.doc.spec ?? {}
    const template = spec.template ?? {}
    const labels = template.metadata?.labels as Record<string, string> | undefined
    if (!matches(spec.selector?.matchLabels, labels)) p(w, 'spec.selector.matchLabels is empty or does not match spec.template.metadata.labels')
    const pod = template.spec ?? {}
    const containers: Doc[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])]
    if (!(pod.containers ?? []).length) p(w, 'has no containers')
    const volumes = new Map<string, Doc>((pod.volumes ?? []).map((v: Doc) => [v.name, v]))
    for (const t of spec.volumeClaimTemplates ?? []) volumes.set(t.metadata?.name, { persistentVolumeClaim: t })

    if (w.doc.kind === 'StatefulSet') {
      const svc = find('Service', spec.serviceName)
      if (!svc) p(w, `spec.serviceName ${spec.serviceName} is not a Service here`)
      else if (svc.doc.spec?.clusterIP !== 'None') p(w, `its governing Service ${spec.serviceName} should be headless (clusterIP: None)`)
    }

    for (const c of containers) {
      const cname = `container ${c.name ?? '?'}`
      if (!c.name) p(w, 'a container has no name')
      if (!c.image) p(w, `${cname} has no image`)
      for (const r of ['requests', 'limits']) for (const k of ['cpu', 'memory']) if (!c.resources?.[r]?.[k]) p(w, `${cname}: resources.${r}.${k} is not set`)
      const ports: Doc[] = c.ports ?? []
      for (const probeName of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const probe = c[probeName]
        if (!probe) continue
        const action = probe.httpGet ?? probe.tcpSocket ?? probe.grpc
        if (action) {
          const port = action.port
          const ok = typeof port === 'number' ? ports.some((x) => x.containerPort === port && (x.protocol ?? 'TCP') === 'TCP') : ports.some((x) => x.name === port)
          if (!ok) p(w, `${cname}: ${probeName} port ${port} is not a declared TCP containerPort (or port name) of the container`)
        } else if (!probe.exec) p(w, `${cname}: ${probeName} has no action`)
        if (probe.httpGet && !OPS_PATHS.has(probe.httpGet.path)) p(w, `${cname}: ${probeName} path ${probe.httpGet.path} is not one of ${[...OPS_PATHS].join(', ')}`)
      }
      for (const vm of c.volumeMounts ?? []) if (!volumes.has(vm.name)) p(w, `${cname}: volumeMount ${vm.name} has no volume`)
    }
    for (const v of volumes.values()) {
      if (v.configMap && !find('ConfigMap', v.configMap.name)) p(w, `volume ${v.name}: ConfigMap ${v.configMap.name} is not defined here`)
      if (v.secret && !find('Secret', v.secret.secretName)) p(w, `volume ${v.name}: Secret ${v.secret.secretName} is not defined here (secret.example.yaml)`)
    }

    // --- the service containers (the platform image) ---------------------------------------------
    for (const c of (pod.containers ?? []) as Doc[]) {
      if (!isAppImage(c.image)) continue
      const env = resolveEnv(c, (msg) => p(w, `container ${c.name}: ${msg}`), find)
      const service = env.get('SERVICE')?.value
      if (!isServiceName(service)) {
        p(w, `container ${c.name}: SERVICE must be set literally to one of the services (got ${service})`)
        continue
      }
      if (serviceWorkloads.has(service)) p(w, `a second workload runs SERVICE=${service}`)
      serviceWorkloads.set(service, w)
      checkAppContainer(w, c, service, env, pod, catalog, { problem: (msg) => p(w, `container ${c.name} (${service}): ${msg}`), pending, checked })
      if (service === 'call-control') checkCallControlPod(env, pod, volumes, dir, find, (msg) => p(w, msg))
      const min = MIN_REPLICAS[service]
      if (min !== undefined && w.doc.kind !== 'DaemonSet' && (spec.replicas ?? 1) < min) p(w, `replicas ${spec.replicas ?? 1} < ${min}: ${service} runs horizontally scaled`)
      if (typeof pod.terminationGracePeriodSeconds !== 'number') p(w, 'terminationGracePeriodSeconds is not set (the services drain on SIGTERM)')
    }
  }
  for (const name of catalog.keys()) if (!serviceWorkloads.has(name)) problems.push(`no workload runs SERVICE=${name}`)

  // --- NATS: a cluster of at least three, every node routed, every node in NATS_URL ---------------
  const nats = find('StatefulSet', 'nats')
  if (!nats) problems.push('no StatefulSet nats (the NATS cluster)')
  else {
    const replicas = nats.doc.spec?.replicas ?? 1
    if (replicas < 3) p(nats, `replicas ${replicas} < 3: NATS runs as a three-node cluster`)
    const conf = String(find('ConfigMap', 'nats-config')?.doc.data?.['nats.conf'] ?? '')
    const nodes = Array.from({ length: replicas }, (_, i) => `nats-${i}.${nats.doc.spec?.serviceName}`)
    for (const n of nodes) if (!conf.includes(`nats://${n}:6222`)) p(nats, `nats-config routes do not list ${n}:6222`)
    const url = String(find('ConfigMap', 'masking-config')?.doc.data?.NATS_URL ?? '')
    for (const n of nodes) if (!url.split(',').includes(`nats://${n}:4222`)) problems.push(`masking-config NATS_URL does not list ${n}:4222 (a client could not move to it)`)
  }

  // --- Services ----------------------------------------------------------------------------------
  for (const s of byKind('Service', applied)) {
    const selector = s.doc.spec?.selector as Record<string, string> | undefined
    const targets = workloads.filter((w) => matches(selector, w.doc.spec?.template?.metadata?.labels))
    if (!targets.length) {
      p(s, 'its selector matches no workload pod labels')
      continue
    }
    for (const port of s.doc.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port
      const ok = targets.every((w) => {
        const pod = w.doc.spec.template.spec
        const cports: Doc[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])].flatMap((c: Doc) => c.ports ?? [])
        return cports.some((cp) => (typeof target === 'number' ? cp.containerPort === target : cp.name === target) && (cp.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))
      })
      if (!ok) p(s, `targetPort ${target} is not a container port of the selected pods`)
    }
  }

  // --- PodDisruptionBudgets ----------------------------------------------------------------------
  const pdbs = byKind('PodDisruptionBudget', applied)
  for (const b of pdbs) {
    if (!workloads.some((w) => matches(b.doc.spec?.selector?.matchLabels, w.doc.spec?.template?.metadata?.labels))) p(b, 'its selector matches no workload')
    if (b.doc.spec?.minAvailable === undefined && b.doc.spec?.maxUnavailable === undefined) p(b, 'sets neither minAvailable nor maxUnavailable')
  }
  for (const name of NEEDS_PDB) {
    const w = serviceWorkloads.get(name)
    if (w && !pdbs.some((b) => matches(b.doc.spec?.selector?.matchLabels, w.doc.spec?.template?.metadata?.labels))) p(w, 'has no PodDisruptionBudget')
  }

  // --- kustomization -----------------------------------------------------------------------------
  const kust = manifests.find((m) => m.doc.kind === 'Kustomization')
  if (!kust) problems.push('kustomization.yaml is missing')
  else {
    const resources: string[] = kust.doc.resources ?? []
    const files = new Set(manifests.map((m) => m.file))
    for (const r of resources) if (!files.has(r)) p(kust, `resource ${r} does not exist here`)
    for (const f of files) if (!NOT_APPLIED.has(f) && !resources.includes(f)) p(kust, `${f} is not listed in resources`)
    if (!(kust.doc.images ?? []).some((i: Doc) => i.name === APP_IMAGE)) p(kust, `images has no entry for ${APP_IMAGE}`)
  }
  return { problems, pending, checked }
}

/** A container's environment: envFrom ConfigMaps/Secrets, then env (which wins, as in Kubernetes). */
function resolveEnv(c: Doc, problem: (msg: string) => void, find: (kind: string, name: string) => Manifest | undefined): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>()
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = find('ConfigMap', from.configMapRef.name)
      if (!cm) problem(`envFrom ConfigMap ${from.configMapRef.name} is not defined here`)
      for (const [k, v] of Object.entries(cm?.doc.data ?? {})) env.set(k, { value: String(v), from: 'configMap', source: from.configMapRef.name })
    } else if (from.secretRef) {
      const s = find('Secret', from.secretRef.name)
      if (!s) problem(`envFrom Secret ${from.secretRef.name} is not defined here (secret.example.yaml)`)
      for (const k of Object.keys({ ...(s?.doc.data ?? {}), ...(s?.doc.stringData ?? {}) })) env.set(k, { from: 'secret', source: from.secretRef.name })
    }
  }
  for (const e of c.env ?? []) {
    if (!e.name) problem('an env entry has no name')
    else if (e.value !== undefined) env.set(e.name, { value: String(e.value), from: 'literal' })
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef
      const s = find('Secret', name)
      if (!s) problem(`env ${e.name}: Secret ${name} is not defined here (secret.example.yaml)`)
      else if (!(key in { ...(s.doc.data ?? {}), ...(s.doc.stringData ?? {}) })) problem(`env ${e.name}: Secret ${name} has no key ${key}`)
      env.set(e.name, { from: 'secret', source: `${name}/${key}` })
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef
      const cm = find('ConfigMap', name)
      if (!cm || !(key in (cm.doc.data ?? {}))) problem(`env ${e.name}: ConfigMap ${name} has no key ${key}`)
      env.set(e.name, { value: cm?.doc.data?.[key], from: 'configMap', source: name })
    } else if (e.valueFrom?.fieldRef || e.valueFrom?.resourceFieldRef) env.set(e.name, { from: 'field' })
    else problem(`env ${e.name} has neither value nor valueFrom`)
  }
  return env
}

function probePath(c: Doc, probe: string): string | undefined {
  return c[probe]?.httpGet?.path
}

function checkAppContainer(
  w: Manifest,
  c: Doc,
  service: ServiceName,
  env: Map<string, EnvEntry>,
  pod: Doc,
  catalog: Map<ServiceName, ServiceInfo>,
  out: { problem: (msg: string) => void; pending: string[]; checked: string[] },
): void {
  const { problem } = out
  // Probes: readiness is the service's own /ready; liveness must not depend on other services.
  if (probePath(c, 'readinessProbe') !== '/ready') problem('readinessProbe must be httpGet /ready')
  const live = probePath(c, 'livenessProbe')
  if (!c.livenessProbe) problem('has no livenessProbe')
  else if (live === '/ready') problem('livenessProbe must not be /ready (a dependency outage would restart the process)')
  else if (service === 'gateway' && live === '/health') problem("livenessProbe must not be the gateway's /health (the whole platform's health)")
  else if (service !== 'gateway' && live !== '/health') problem('livenessProbe should be httpGet /health')
  for (const [name, e] of env) {
    if (SECRET_VARS.has(name) && e.from !== 'secret') problem(`${name} must come from a Secret (got ${e.from}${e.source ? ` ${e.source}` : ''})`)
  }
  if (!env.has('NATS_URL')) problem('NATS_URL is not set (a service run alone needs NATS)')
  const sc = { ...(pod.securityContext ?? {}), ...(c.securityContext ?? {}) }
  if (sc.runAsNonRoot !== true) problem('does not set runAsNonRoot: true')

  const info = catalog.get(service)
  if (!info) {
    out.pending.push(`${where(w)} (${service}: services/${service}/service.ts does not exist yet)`)
    return
  }
  out.checked.push(service)
  for (const name of env.keys()) if (!info.envNames.has(name)) problem(`${name} is not a variable ${service} reads`)
  if (info.hasDatabase && !env.has('DATABASE_URL')) problem('DATABASE_URL is not set (the service has a database)')
  if (service === 'gateway' && env.get('ADMIN_TOKEN')?.from !== 'secret') problem('ADMIN_TOKEN should come from the Secret')
  const port = Number(env.get('PORT')?.value ?? info.defaultPort)
  const cport = (c.ports ?? []).find((x: Doc) => x.containerPort === port)
  if (!cport) problem(`declares no containerPort ${port} (PORT or the service's default)`)
  // The gateway's /ready and /metrics are on its OPS_PORT, off the public port.
  const opsPort = service === 'gateway' ? Number(env.get('OPS_PORT')?.value ?? 9090) : port
  const oport = (c.ports ?? []).find((x: Doc) => x.containerPort === opsPort)
  if (!oport) problem(`declares no containerPort ${opsPort} (its ops port)`)
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const target = c[probe]?.httpGet?.port
    if (target !== undefined && target !== opsPort && target !== oport?.name) problem(`${probe} is not on the service's ops port ${opsPort}`)
  }
  // Literal and ConfigMap values must pass the service's own config parsing (secrets left out).
  const values: Record<string, string | undefined> = Object.fromEntries([...env].filter(([, e]) => e.value !== undefined).map(([k, e]) => [k, e.value]))
  // Required secrets are checked for presence above; stand in for their values here.
  for (const [k, e] of env) if (e.from === 'secret' && SECRET_SAMPLES[k]) values[k] = SECRET_SAMPLES[k]
  const bad = info.checkEnv(values)
  if (bad) problem(`its configuration does not parse: ${bad}`)
}

function checkCallControlPod(
  env: Map<string, EnvEntry>,
  pod: Doc,
  volumes: Map<string, Doc>,
  dir: string,
  find: (kind: string, name: string) => Manifest | undefined,
  problem: (msg: string) => void,
): void {
  const all: Doc[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])]
  const drachtio = all.filter((x) => imageName(x.image) === DRACHTIO_IMAGE)
  const callControls = (pod.containers ?? []).filter((x: Doc) => isAppImage(x.image))
  if (drachtio.length !== 1 || callControls.length !== 1) {
    problem('a call-control pod must hold exactly one call-control and one drachtio-server container (one per drachtio-server)')
    return
  }
  const d = drachtio[0]!
  if ((pod.initContainers ?? []).includes(d) && d.restartPolicy !== 'Always') problem('drachtio as an init container must be a native sidecar (restartPolicy: Always)')
  const host = env.get('DRACHTIO_HOST')?.value
  if (!host || !['127.0.0.1', 'localhost', '::1'].includes(host)) problem(`call-control's DRACHTIO_HOST should be the sidecar on 127.0.0.1 (got ${host})`)
  const ccSecret = env.get('DRACHTIO_SECRET')?.source
  const dSecret = (d.env ?? []).find((e: Doc) => e.name === 'DRACHTIO_SECRET')?.valueFrom?.secretKeyRef
  if (!ccSecret || !dSecret || `${dSecret.name}/${dSecret.key}` !== ccSecret) problem('call-control and drachtio must both take DRACHTIO_SECRET from the same Secret key')
  // Media: an rtpengine sidecar on the pod's host network, controlled over the node's loopback.
  const rtpe = all.find((x) => imageName(x.image) === 'masking-rtpengine')
  if (!rtpe) problem('a call-control pod must hold an rtpengine sidecar (every call is anchored through it)')
  else {
    if ((pod.initContainers ?? []).includes(rtpe) && rtpe.restartPolicy !== 'Always') problem('rtpengine as an init container must be a native sidecar (restartPolicy: Always)')
    const args = (rtpe.args ?? []).map(String)
    if (!args.some((a: string) => a.startsWith('--port-min=')) || !args.some((a: string) => a.startsWith('--port-max='))) problem('rtpengine has no RTP port range (--port-min/--port-max)')
    const ng = args.find((a: string) => a.startsWith('--listen-ng='))?.slice('--listen-ng='.length)
    if (!ng?.startsWith('127.0.0.1:')) problem(`rtpengine's ng control port should be on the node's loopback (got ${ng})`)
    const urls = env.get('RTPENGINE_URLS')?.value ?? ''
    if (!ng || !urls.split(',').map((u) => u.trim().replace(/^udp:(\/\/)?/, '')).includes(ng)) problem(`call-control's RTPENGINE_URLS should be the sidecar's ${ng} (got ${urls})`)
    if (pod.hostNetwork !== true) problem('rtpengine needs the host network (an RTP port range cannot go through a Service)')
    // PIN digits: rtpengine's DTMF events reach call-control's listener (same pod, same network namespace).
    const dest = args.find((a: string) => a.startsWith('--dtmf-log-dest='))?.slice('--dtmf-log-dest='.length)
    const listen = env.get('DTMF_EVENTS_LISTEN')?.value ?? '127.0.0.1:9124'
    const port = (hp: string) => hp.slice(hp.lastIndexOf(':') + 1)
    const host = (hp: string) => hp.slice(0, hp.lastIndexOf(':'))
    if (!dest) problem('rtpengine has no --dtmf-log-dest: PIN entry would get no digits')
    else if (port(dest) !== port(listen) || !(host(dest) === host(listen) || ['0.0.0.0', '::'].includes(host(listen)))) problem(`rtpengine's --dtmf-log-dest ${dest} does not reach call-control's DTMF_EVENTS_LISTEN ${listen}`)
    else if (!['127.0.0.1', '::1'].includes(host(dest))) problem(`rtpengine's --dtmf-log-dest ${dest} should be on the node's loopback (the pod uses the host network)`)
    // Prompts: rtpengine plays call-control's PROMPTS_DIR by path, so both mount one volume there.
    const prompts = env.get('PROMPTS_DIR')?.value
    const cc = callControls[0]!
    const mountAt = (c: Doc, path: string) => (c.volumeMounts ?? []).find((m: Doc) => m.mountPath === path)
    if (!prompts?.startsWith('/')) problem(`call-control's PROMPTS_DIR must be an absolute path on a volume rtpengine mounts too (got ${prompts ?? 'the default ./data/prompts'})`)
    else {
      const mine = mountAt(cc, prompts)
      const theirs = mountAt(rtpe, prompts)
      if (!mine) problem(`call-control's PROMPTS_DIR ${prompts} is not on a volume (read-only root filesystem; rtpengine cannot read it)`)
      else if (mine.readOnly) problem(`call-control's PROMPTS_DIR ${prompts} is mounted read-only (call-control writes the prompts)`)
      else if (!volumes.has(mine.name)) problem(`call-control's PROMPTS_DIR volume ${mine.name} is not a volume of the pod`)
      if (mine && theirs?.name !== mine.name) problem(`rtpengine does not mount call-control's PROMPTS_DIR volume ${mine.name} at ${prompts} (it plays prompts by path)`)
    }
  }
  // The call drain must fit in the grace period, with room for the rest of the shutdown.
  const drain = Number(env.get('SIP_DRAIN_TIMEOUT_S')?.value ?? 30)
  const grace = pod.terminationGracePeriodSeconds ?? 30
  if (grace < drain + 30) problem(`terminationGracePeriodSeconds ${grace} must be ≥ SIP_DRAIN_TIMEOUT_S (${drain}) + 30`)
  // The mounted drachtio config is the same file as infra/drachtio/drachtio.conf.xml.
  const mount = (d.volumeMounts ?? []).find((m: Doc) => m.mountPath === '/etc/drachtio.conf.xml')
  const cmName = mount ? volumes.get(mount.name)?.configMap?.name : undefined
  const cm = cmName ? find('ConfigMap', cmName) : undefined
  const key = mount?.subPath ?? 'drachtio.conf.xml'
  if (!cm) problem('drachtio has no ConfigMap mounted at /etc/drachtio.conf.xml')
  else {
    const expected = readFileSync(join(dir, '..', 'drachtio', 'drachtio.conf.xml'), 'utf8')
    if (cm.doc.data?.[key] !== expected) problem(`ConfigMap ${cmName} key ${key} differs from infra/drachtio/drachtio.conf.xml`)
  }
}

if (import.meta.main) {
  const catalog = await loadServiceCatalog()
  const manifests = loadManifests()
  const { problems, pending, checked } = checkManifests(manifests, catalog)
  for (const x of pending) process.stderr.write(`pending: ${x}\n`)
  if (problems.length) {
    for (const x of problems) process.stderr.write(`problem: ${x}\n`)
    process.exit(1)
  }
  process.stdout.write(`ok: ${manifests.length} documents in ${K8S_DIR.replace(`${ROOT}/`, '')}; service containers checked against their definitions: ${checked.join(', ')}\n`)
}
