/**
 * infra/compose.yaml stays consistent with the services: health checks, depends_on conditions,
 * variables each service reads, secrets only from the env file. Offline (no Docker).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkCompose, type Doc, durationSeconds, interpolate, loadCompose, PROMPT_TOOLS, runtimePackages } from './compose-check'
import { loadServiceCatalog, type ServiceInfo, type ServiceName } from './service-catalog'

let catalog: Map<ServiceName, ServiceInfo>
let compose: Doc
beforeAll(async () => {
  catalog = await loadServiceCatalog()
  compose = loadCompose()
})

const problemsAfter = (mutate: (c: Doc) => void) => {
  const c = structuredClone(compose)
  mutate(c)
  return checkCompose(c, catalog).problems.join('\n')
}

describe('infra/compose.yaml', () => {
  test('passes every structural check, for every service', () => {
    const { problems, pending, checked } = checkCompose(compose, catalog)
    if (pending.length) console.warn(`not yet checkable against a service definition:\n  ${pending.join('\n  ')}`)
    expect(problems).toEqual([])
    expect(new Set(checked)).toEqual(new Set([...catalog.keys()]))
  })

  test('a dependency that is not waited on until healthy is caught', () => {
    expect(problemsAfter((c) => (c.services.identity.depends_on.postgres.condition = 'service_started'))).toContain('depends_on postgres should wait for condition: service_healthy')
    expect(problemsAfter((c) => delete c.services.postgres.healthcheck)).toContain('compose service postgres: has no health check')
    expect(problemsAfter((c) => delete c.services.gateway.depends_on.sessions)).toContain('does not wait for sessions')
    expect(problemsAfter((c) => (c.services['nats-1'].depends_on = { gateway: { condition: 'service_healthy' } }))).toContain('depends_on cycle')
  })

  test('rtpengine: userspace image, ng health check, and call-control anchored on it', () => {
    expect(problemsAfter((c) => delete c.services['call-control'].depends_on.rtpengine)).toContain('does not wait for rtpengine')
    expect(problemsAfter((c) => delete c.services['call-control'].environment.RTPENGINE_URLS)).toContain('RTPENGINE_URLS is not set')
    expect(problemsAfter((c) => (c.services.rtpengine.command = ['--listen-ng=127.0.0.1:22222']))).toContain('no RTP port range')
    expect(problemsAfter((c) => (c.services.rtpengine.healthcheck.test = ['CMD', 'true']))).toContain('health check should ping over ng')
  })

  test("prompts: call-control's PROMPTS_DIR is one volume at the same path in it and its rtpengine (which plays by path)", () => {
    const cc = compose.services['call-control']
    expect(cc.environment.PROMPTS_DIR).toBe('/var/lib/masking/prompts')
    expect(cc.volumes).toContain('prompts:/var/lib/masking/prompts')
    expect(compose.services.rtpengine.volumes).toContain('prompts:/var/lib/masking/prompts:ro')
    expect(compose.services['rtpengine-b'].volumes).toContain('prompts-b:/var/lib/masking/prompts:ro')
    expect(problemsAfter((c) => delete c.services['call-control'].environment.PROMPTS_DIR)).toContain('PROMPTS_DIR must be set to an absolute path that rtpengine mounts too')
    expect(problemsAfter((c) => delete c.services.rtpengine.volumes)).toContain("rtpengine does not mount call-control's PROMPTS_DIR volume prompts at /var/lib/masking/prompts")
    expect(problemsAfter((c) => (c.services.rtpengine.volumes = ['prompts:/prompts:ro']))).toContain('rtpengine does not mount')
    expect(problemsAfter((c) => (c.services['rtpengine-b'].volumes = ['prompts:/var/lib/masking/prompts:ro']))).toContain("rtpengine-b does not mount call-control's PROMPTS_DIR volume prompts-b")
    expect(problemsAfter((c) => (c.services['call-control'].volumes = ['prompts:/var/lib/masking/prompts:ro']))).toContain('is mounted read-only')
    expect(problemsAfter((c) => delete c.services['call-control'].volumes)).toContain('PROMPTS_DIR /var/lib/masking/prompts is not on a volume')
  })

  test("DTMF: each rtpengine's --dtmf-log-dest reaches its own call-control's DTMF_EVENTS_LISTEN", () => {
    const dest = (svc: string) => (compose.services[svc].command as string[]).find((x) => x.startsWith('--dtmf-log-dest='))
    expect(dest('rtpengine')).toBe('--dtmf-log-dest=127.0.0.1:9124')
    expect(dest('rtpengine-b')).toBe('--dtmf-log-dest=127.0.0.1:9125')
    const without = (svc: string) => (c: Doc) => (c.services[svc].command = c.services[svc].command.filter((x: string) => !x.startsWith('--dtmf-log-dest=')))
    expect(problemsAfter(without('rtpengine'))).toContain('rtpengine has no --dtmf-log-dest')
    expect(problemsAfter(without('rtpengine-b'))).toContain('rtpengine-b has no --dtmf-log-dest')
    expect(problemsAfter((c) => delete c.services['call-control'].ports)).toContain('does not reach DTMF_EVENTS_LISTEN 0.0.0.0:9124 (publish "127.0.0.1:9124:9124/udp")')
    expect(problemsAfter((c) => (c.services['call-control-b'].ports = ['127.0.0.1:9124:9124/udp']))).toContain("rtpengine-b's --dtmf-log-dest 127.0.0.1:9125 does not reach")
    expect(problemsAfter((c) => delete c.services['call-control'].environment.DTMF_EVENTS_LISTEN)).toContain("DTMF_EVENTS_LISTEN 127.0.0.1:9124 is the container's loopback")
    expect(problemsAfter((c) => delete c.services['call-control'].environment.DTMF_EVENTS_SOURCES)).toContain('DTMF_EVENTS_SOURCES must name')
    // Each call-control its own rtpengine (one DTMF destination each), its ng port in RTPENGINE_URLS.
    expect(problemsAfter((c) => (c.services['call-control-b'].environment.RTPENGINE_URLS = 'udp:rtpengine-host:22222'))).toContain("does not name rtpengine-b's ng port 22223")
    expect(problemsAfter((c) => delete c.services['call-control-b'].depends_on['rtpengine-b'])).toContain('does not wait for rtpengine-b')
  })

  test("the image call-control runs installs espeak-ng and sox (the built-in prompts); a missing one is caught", () => {
    expect(runtimePackages(readFileSync(join(import.meta.dir, 'Dockerfile'), 'utf8'))).toEqual(expect.arrayContaining([...PROMPT_TOOLS]))
    // Only the last stage counts: tools installed in a build stage are not in the image.
    expect(runtimePackages('FROM a AS b\nRUN apt-get install -y sox espeak-ng\nFROM c\nRUN apt-get install -y --no-install-recommends \\\n  curl\n')).toEqual(['curl'])
    const dir = mkdtempSync(join(tmpdir(), 'compose-'))
    try {
      mkdirSync(join(dir, 'infra'))
      writeFileSync(join(dir, 'infra/Dockerfile'), readFileSync(join(import.meta.dir, 'Dockerfile'), 'utf8').replace(' espeak-ng sox', ' sox'))
      const c = structuredClone(compose)
      const problems = checkCompose(c, catalog, { dir: join(dir, 'infra') }).problems.join('\n')
      expect(problems).toContain('does not install espeak-ng (the built-in prompts need it)')
      expect(problems).not.toContain('does not install sox')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('an unknown variable, an invalid value or a literal secret is caught', () => {
    expect(problemsAfter((c) => (c.services.did.environment.SIP_TRUSTED_SOURCES = '10.0.0.0/8'))).toContain('SIP_TRUSTED_SOURCES is not a variable did reads')
    expect(problemsAfter((c) => (c.services.did.environment.DID_COOLDOWN_HOURS = 'a day'))).toContain('config error: DID_COOLDOWN_HOURS')
    expect(problemsAfter((c) => (c.services.gateway.environment.ADMIN_TOKEN = 'adm_literal_token_in_git'))).toContain('ADMIN_TOKEN must be the required interpolation')
  })

  test('NATS is a three-node cluster that every service reaches on every node', () => {
    expect(problemsAfter((c) => (c.services.sessions.environment.NATS_URL = 'nats://nats-1:4222'))).toContain('NATS_URL does not list nats-2')
    expect(problemsAfter((c) => (c.services['nats-2'].command = ['-js', '-m', '8222']))).toContain('compose service nats-2: is not a cluster member')
    expect(problemsAfter((c) => delete c.services['nats-3'])).toContain('compose: service nats-3 is missing')
  })

  test("the scale profile: Kamailio's list names every drachtio-server; each call-control pairs with its own", () => {
    expect(compose.services['sip-lb'].profiles).toEqual(['scale'])
    expect(problemsAfter((c) => delete c.services['drachtio-b'])).toContain('kamailio/dispatcher.list lists drachtio, drachtio-b, the drachtio-servers are drachtio')
    expect(problemsAfter((c) => (c.services['call-control-b'].environment.DRACHTIO_HOST = 'drachtio'))).toContain('DRACHTIO_HOST should be the drachtio-b service')
  })

  test("call-control's stop grace period must cover its call drain", () => {
    expect(problemsAfter((c) => (c.services['call-control'].stop_grace_period = '60s'))).toContain('stop_grace_period 60s must exceed SIP_DRAIN_TIMEOUT_S (120)')
  })

  test('interpolation and durations follow compose', () => {
    expect(interpolate('${A:-x}-${B-y}-${C}-$$-$D', { A: '', B: '', C: 'c', D: 'd' })).toEqual({ value: 'x--c-$-d', missing: [] })
    expect(interpolate('${A:?set A}', {}).missing).toEqual(['A'])
    expect(durationSeconds('1m30s')).toBe(90)
    expect(durationSeconds('150s')).toBe(150)
    expect(durationSeconds('soon')).toBeUndefined()
  })
})
