/**
 * The Kubernetes manifests stay consistent with each other and with the services (ports, probes,
 * variables, secrets, call-control's pairing with drachtio). Offline: parses the YAML and imports
 * the service definitions; no cluster. The mutation cases prove each kind of check bites.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'bun:test'
import { loadServiceCatalog, SERVICE_NAMES, type ServiceInfo, type ServiceName } from '../service-catalog'
import { checkManifests, type Doc, loadManifests, type Manifest } from './validate'

let catalog: Map<ServiceName, ServiceInfo>
let manifests: Manifest[]
beforeAll(async () => {
  catalog = await loadServiceCatalog()
  manifests = loadManifests()
})

const clone = () => manifests.map((m) => ({ file: m.file, doc: structuredClone(m.doc) }))
const get = (ms: Manifest[], kind: string, name: string): Doc => {
  const m = ms.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name)
  if (!m) throw new Error(`${kind} ${name} not found`)
  return m.doc
}
const container = (ms: Manifest[], kind: string, name: string, cname = name): Doc => {
  const c = get(ms, kind, name).spec.template.spec.containers.find((x: Doc) => x.name === cname)
  if (!c) throw new Error(`container ${cname} not found`)
  return c
}
/** The problems a mutated copy of the manifests has (the real ones have none). */
const problemsAfter = (mutate: (ms: Manifest[]) => void) => {
  const ms = clone()
  mutate(ms)
  return checkManifests(ms, catalog).problems.join('\n')
}

describe('infra/k8s manifests', () => {
  test('pass every structural check', () => {
    const { problems, pending } = checkManifests(manifests, catalog)
    if (pending.length) console.warn(`not yet checkable against a service definition:\n  ${pending.join('\n  ')}`)
    expect(problems).toEqual([])
  })

  test('run every service, gateway and sessions scaled out, call-control paired with drachtio', () => {
    const { checked } = checkManifests(manifests, catalog)
    expect(new Set(checked)).toEqual(new Set([...catalog.keys()]))
    expect(catalog.size).toBe(SERVICE_NAMES.length)
    expect(get(manifests, 'Deployment', 'gateway').spec.replicas).toBeGreaterThanOrEqual(3)
    expect(get(manifests, 'Deployment', 'sessions').spec.replicas).toBeGreaterThanOrEqual(2)
    const cc = get(manifests, 'StatefulSet', 'call-control').spec.template.spec
    expect(cc.initContainers.map((c: Doc) => c.name)).toEqual(['drachtio', 'rtpengine'])
  })

  test('call-control without its rtpengine sidecar, or pointed elsewhere, is caught', () => {
    const spec = (ms: ReturnType<typeof clone>) => get(ms, 'StatefulSet', 'call-control').spec.template.spec
    expect(problemsAfter((ms) => (spec(ms).initContainers = spec(ms).initContainers.filter((c: Doc) => c.name !== 'rtpengine')))).toContain('rtpengine sidecar')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'call-control-config').data.RTPENGINE_URLS = 'udp:10.0.0.9:22222'))).toContain('RTPENGINE_URLS should be the sidecar')
    expect(problemsAfter((ms) => (spec(ms).initContainers.find((c: Doc) => c.name === 'rtpengine').args = ['--listen-ng=127.0.0.1:22222']))).toContain('RTP port range')
  })

  test("prompts: call-control's PROMPTS_DIR is one volume mounted at the same path in call-control and its rtpengine", () => {
    const spec = (ms: ReturnType<typeof clone>) => get(ms, 'StatefulSet', 'call-control').spec.template.spec
    const rtpe = (ms: ReturnType<typeof clone>) => spec(ms).initContainers.find((c: Doc) => c.name === 'rtpengine')
    const dir = get(manifests, 'ConfigMap', 'call-control-config').data.PROMPTS_DIR
    expect(dir).toBe('/var/lib/masking/prompts')
    expect(container(manifests, 'StatefulSet', 'call-control').volumeMounts).toContainEqual({ name: 'prompts', mountPath: dir })
    expect(rtpe(manifests).volumeMounts).toContainEqual({ name: 'prompts', mountPath: dir, readOnly: true })
    expect(problemsAfter((ms) => delete get(ms, 'ConfigMap', 'call-control-config').data.PROMPTS_DIR)).toContain("call-control's PROMPTS_DIR must be an absolute path")
    expect(problemsAfter((ms) => delete rtpe(ms).volumeMounts)).toContain("rtpengine does not mount call-control's PROMPTS_DIR volume prompts at /var/lib/masking/prompts")
    expect(problemsAfter((ms) => (rtpe(ms).volumeMounts[0].mountPath = '/prompts'))).toContain('rtpengine does not mount')
    expect(problemsAfter((ms) => (container(ms, 'StatefulSet', 'call-control').volumeMounts = [{ name: 'tmp', mountPath: '/tmp' }]))).toContain('PROMPTS_DIR /var/lib/masking/prompts is not on a volume')
  })

  test("DTMF: the rtpengine sidecar's --dtmf-log-dest is call-control's DTMF_EVENTS_LISTEN", () => {
    const rtpe = (ms: ReturnType<typeof clone>) => get(ms, 'StatefulSet', 'call-control').spec.template.spec.initContainers.find((c: Doc) => c.name === 'rtpengine')
    expect(rtpe(manifests).args).toContain('--dtmf-log-dest=127.0.0.1:9124')
    expect(get(manifests, 'ConfigMap', 'call-control-config').data.DTMF_EVENTS_LISTEN).toBe('127.0.0.1:9124')
    expect(problemsAfter((ms) => (rtpe(ms).args = rtpe(ms).args.filter((a: string) => !a.startsWith('--dtmf-log-dest='))))).toContain('rtpengine has no --dtmf-log-dest')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'call-control-config').data.DTMF_EVENTS_LISTEN = '127.0.0.1:9200'))).toContain("does not reach call-control's DTMF_EVENTS_LISTEN 127.0.0.1:9200")
    expect(problemsAfter((ms) => (rtpe(ms).args = [...rtpe(ms).args.filter((a: string) => !a.startsWith('--dtmf-log-dest=')), '--dtmf-log-dest=10.0.0.5:9124']))).toContain('does not reach')
  })

  test("secret.example.yaml's placeholders stop the services with a config error if applied by mistake", () => {
    const placeholders = get(manifests, 'Secret', 'masking-secrets').stringData
    expect(catalog.get('gateway')?.checkEnv({ ADMIN_TOKEN: placeholders.ADMIN_TOKEN })).toContain('config error: ADMIN_TOKEN')
    expect(catalog.get('identity')?.checkEnv({ DATABASE_URL: placeholders.DATABASE_URL_IDENTITY })).toContain('config error: DATABASE_URL')
    expect(catalog.get('identity')?.checkEnv({ SECRETS_KEY: placeholders.SECRETS_KEY })).toContain('config error: SECRETS_KEY')
  })

  test('NATS is a three-node cluster every service can reach on every node; a smaller or partial one is caught', () => {
    expect(get(manifests, 'StatefulSet', 'nats').spec.replicas).toBe(3)
    expect(problemsAfter((ms) => (get(ms, 'StatefulSet', 'nats').spec.replicas = 1))).toContain('replicas 1 < 3')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'masking-config').data.NATS_URL = 'nats://nats-0.nats:4222'))).toContain('NATS_URL does not list nats-1.nats:4222')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'nats-config').data['nats.conf'] = 'listen: 0.0.0.0:4222'))).toContain('routes do not list nats-0.nats:6222')
  })

  test("the SIP balancer runs Kamailio's config from infra/kamailio, listing every call-control pod", () => {
    const cm = get(manifests, 'ConfigMap', 'sip-lb-config').data
    expect(cm['kamailio.cfg']).toBe(readFileSync(join(import.meta.dir, '../kamailio/kamailio.cfg'), 'utf8'))
    const replicas = get(manifests, 'StatefulSet', 'call-control').spec.replicas
    const members = [...String(cm['dispatcher.list']).matchAll(/^1 sip:(call-control-\d+)\./gm)].map((m) => m[1])
    expect(members).toEqual(Array.from({ length: replicas }, (_, i) => `call-control-${i}`))
  })

  test('a probe on an undeclared port is caught', () => {
    expect(problemsAfter((ms) => (container(ms, 'Deployment', 'gateway').readinessProbe.httpGet.port = 9999))).toContain('readinessProbe port 9999')
  })

  test('a selector that does not match the pod labels is caught', () => {
    expect(problemsAfter((ms) => (get(ms, 'Deployment', 'sessions').spec.selector.matchLabels['app.kubernetes.io/name'] = 'session'))).toContain('does not match spec.template.metadata.labels')
    expect(problemsAfter((ms) => (get(ms, 'Service', 'did').spec.selector['app.kubernetes.io/name'] = 'dids'))).toContain('matches no workload')
    expect(problemsAfter((ms) => (get(ms, 'Service', 'gateway').spec.ports[0].targetPort = 'web'))).toContain('targetPort web')
  })

  test('a variable the service does not read, or an invalid value, is caught', () => {
    expect(
      problemsAfter((ms) => container(ms, 'Deployment', 'identity').env.push({ name: 'RATE_LIMIT_PER_SECOND', value: '5' })),
    ).toContain('RATE_LIMIT_PER_SECOND is not a variable identity reads')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'masking-config').data.LOG_LEVEL = 'loud'))).toContain('config error: LOG_LEVEL')
    expect(problemsAfter((ms) => delete get(ms, 'ConfigMap', 'masking-config').data.NATS_URL)).toContain('NATS_URL is not set')
  })

  test('a secret given literally, or from a missing key, is caught', () => {
    expect(
      problemsAfter((ms) => {
        const c = container(ms, 'Deployment', 'gateway')
        c.env = c.env.map((e: Doc) => (e.name === 'ADMIN_TOKEN' ? { name: 'ADMIN_TOKEN', value: 'a-literal-token-in-git' } : e))
      }),
    ).toContain('ADMIN_TOKEN must come from a Secret')
    expect(
      problemsAfter((ms) => {
        const c = container(ms, 'Deployment', 'did')
        c.env.find((e: Doc) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.key = 'DB_URL'
      }),
    ).toContain('has no key DB_URL')
  })

  test("liveness that depends on other services is caught (the gateway's /health is the platform's)", () => {
    expect(problemsAfter((ms) => (container(ms, 'Deployment', 'gateway').livenessProbe.httpGet.path = '/health'))).toContain("gateway's /health")
    expect(problemsAfter((ms) => (container(ms, 'Deployment', 'sessions').livenessProbe.httpGet.path = '/ready'))).toContain('livenessProbe must not be /ready')
  })

  test('a grace period shorter than the call drain, or drachtio config drift, is caught', () => {
    expect(problemsAfter((ms) => (get(ms, 'StatefulSet', 'call-control').spec.template.spec.terminationGracePeriodSeconds = 60))).toContain('SIP_DRAIN_TIMEOUT_S')
    expect(problemsAfter((ms) => (get(ms, 'ConfigMap', 'drachtio-config').data['drachtio.conf.xml'] += '<!-- drift -->'))).toContain('differs from infra/drachtio')
  })

  test('a missing PodDisruptionBudget or too few replicas is caught', () => {
    expect(problemsAfter((ms) => ms.splice(ms.findIndex((m) => m.doc.kind === 'PodDisruptionBudget' && m.doc.metadata.name === 'sessions'), 1))).toContain(
      'has no PodDisruptionBudget',
    )
    expect(problemsAfter((ms) => (get(ms, 'Deployment', 'gateway').spec.replicas = 1))).toContain('replicas 1 < 3')
  })
})
