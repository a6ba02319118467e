/**
 * The Kubernetes manifests stay consistent with each other and with the services (ports, probes,
 * variables, secrets, call-control's pairing with drachtio). Offline: parses the YAML and imports
 * the service definitions; no cluster. The mutation cases prove each kind of check bites.
 */
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

  test("secret.example.yaml's placeholders stop the services with a config error if applied by mistake", () => {
    const placeholders = get(manifests, 'Secret', 'masking-secrets').stringData
    expect(catalog.get('gateway')?.checkEnv({ ADMIN_TOKEN: placeholders.ADMIN_TOKEN })).toContain('config error: ADMIN_TOKEN')
    expect(catalog.get('identity')?.checkEnv({ DATABASE_URL: placeholders.DATABASE_URL_IDENTITY })).toContain('config error: DATABASE_URL')
    expect(catalog.get('identity')?.checkEnv({ SECRETS_KEY: placeholders.SECRETS_KEY })).toContain('config error: SECRETS_KEY')
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
