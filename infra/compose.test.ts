/**
 * infra/compose.yaml stays consistent with the services: health checks, depends_on conditions,
 * variables each service reads, secrets only from the env file. Offline (no Docker).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { checkCompose, type Doc, durationSeconds, interpolate, loadCompose } from './compose-check'
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
    expect(problemsAfter((c) => (c.services.nats.depends_on = { gateway: { condition: 'service_healthy' } }))).toContain('depends_on cycle')
  })

  test('rtpengine: userspace image, ng health check, and call-control anchored on it', () => {
    expect(problemsAfter((c) => delete c.services['call-control'].depends_on.rtpengine)).toContain('does not wait for rtpengine')
    expect(problemsAfter((c) => delete c.services['call-control'].environment.RTPENGINE_URLS)).toContain('RTPENGINE_URLS is not set')
    expect(problemsAfter((c) => (c.services.rtpengine.command = ['--listen-ng=127.0.0.1:22222']))).toContain('no RTP port range')
    expect(problemsAfter((c) => (c.services.rtpengine.healthcheck.test = ['CMD', 'true']))).toContain('health check should ping over ng')
  })

  test('an unknown variable, an invalid value or a literal secret is caught', () => {
    expect(problemsAfter((c) => (c.services.did.environment.SIP_TRUSTED_SOURCES = '10.0.0.0/8'))).toContain('SIP_TRUSTED_SOURCES is not a variable did reads')
    expect(problemsAfter((c) => (c.services.did.environment.DID_COOLDOWN_HOURS = 'a day'))).toContain('config error: DID_COOLDOWN_HOURS')
    expect(problemsAfter((c) => (c.services.gateway.environment.ADMIN_TOKEN = 'adm_literal_token_in_git'))).toContain('ADMIN_TOKEN must be the required interpolation')
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
