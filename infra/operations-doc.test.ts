/**
 * docs/operations.md names only metrics the processes export (so its alerts do not silently watch
 * nothing after a rename), and its drain / grace numbers are the ones the deployment files use.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { registry } from '../shared/metrics'
import { durationSeconds, loadCompose } from './compose-check'
import { loadManifests } from './k8s/validate'
import { loadServiceCatalog, ROOT } from './service-catalog'

const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8')
const METRIC = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:total|seconds|bytes|calls|connected)(?:_bucket|_count|_sum)?\b/g

describe('docs/operations.md', () => {
  test('every metric it names is exported', async () => {
    await loadServiceCatalog() // imports every service, so their metrics are registered
    const exported = new Set(registry.getMetricsAsArray().map((m) => m.name))
    const named = new Set([...doc.matchAll(METRIC)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))
    expect(named.size).toBeGreaterThan(5)
    expect([...named].filter((n) => !exported.has(n))).toEqual([])
  })

  test('its drain and grace periods are the deployment files', () => {
    const cc = loadManifests().find((m) => m.doc.kind === 'StatefulSet' && m.doc.metadata.name === 'call-control')!.doc
    const cm = loadManifests().find((m) => m.doc.kind === 'ConfigMap' && m.doc.metadata.name === 'call-control-config')!.doc
    expect(doc).toContain(`Kubernetes: drain ${cm.data.SIP_DRAIN_TIMEOUT_S} s, grace ${cc.spec.template.spec.terminationGracePeriodSeconds} s`)
    const compose = loadCompose().services['call-control']
    expect(doc).toContain(`compose: drain ${compose.environment.SIP_DRAIN_TIMEOUT_S} s, \`stop_grace_period\` ${durationSeconds(compose.stop_grace_period)} s`)
  })
})
