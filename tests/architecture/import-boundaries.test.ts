/**
 * Services talk over the bus, never through each other's code: a file of one service may import
 * `shared/`, its own folder and npm packages, and nothing of another service. The one door into a
 * service from outside is its `service.ts` (the definition the launchers start), and only the
 * composition roots (all-in-one, infra, tests, bench, and test files that start other services as
 * fixtures) may use it. `shared/` imports no service.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dir, '../..')
const COMPOSITION_ROOTS = ['services/all-in-one/', 'infra/', 'tests/', 'bench/']

/** Relative import specifiers of a TypeScript file (static imports, re-exports, dynamic imports). */
export function relativeImports(source: string): string[] {
  const found: string[] = []
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g
  for (const m of source.matchAll(re)) found.push(m[1]!)
  return found
}

/** Why `from` (a repo-relative file) may not import `target` (repo-relative), or undefined if it may. */
export function boundaryViolation(from: string, target: string): string | undefined {
  const ownService = /^services\/([^/]+)\//.exec(from)?.[1]
  const targetService = /^services\/([^/]+)\//.exec(target)?.[1]
  if (from.startsWith('shared/') && targetService) return `shared/ must not depend on services/${targetService}`
  if (!targetService || targetService === ownService) return undefined
  // all-in-one is itself a composition root: what it lists may be started by the others.
  const isDefinition = /^services\/[^/]+\/service(\.ts)?$/.test(target) || targetService === 'all-in-one'
  const fromRoot = COMPOSITION_ROOTS.some((r) => from.startsWith(r)) || from.endsWith('.test.ts')
  if (isDefinition && fromRoot) return undefined
  return isDefinition
    ? `only composition roots (${COMPOSITION_ROOTS.join(', ')}) may start services/${targetService}`
    : `reaches into services/${targetService} internals (${target}); ask over the bus or move it to shared/`
}

function sourceFiles(): string[] {
  const glob = new Bun.Glob('{services,shared,infra,tests,bench}/**/*.ts')
  return [...glob.scanSync({ cwd: root })].filter((f) => !f.includes('node_modules'))
}

describe('import boundaries', () => {
  test('the rule itself: internals refused, definitions only from composition roots', () => {
    expect(boundaryViolation('services/call-control/sip/inbound.ts', 'services/sessions/route-decision.ts')).toContain('internals')
    expect(boundaryViolation('services/gateway/main.ts', 'services/identity/service.ts')).toContain('composition roots')
    expect(boundaryViolation('shared/bus/bus.ts', 'services/gateway/endpoint.ts')).toContain('shared/')
    expect(boundaryViolation('services/all-in-one/services.ts', 'services/did/service.ts')).toBeUndefined()
    expect(boundaryViolation('services/sessions/sessions.test.ts', 'services/did/service.ts')).toBeUndefined()
    expect(boundaryViolation('services/sessions/sessions.test.ts', 'services/did/inventory.ts')).toContain('internals')
    expect(boundaryViolation('services/did/inventory.ts', 'services/did/db/schema.ts')).toBeUndefined()
    expect(boundaryViolation('services/did/inventory.ts', 'shared/ids.ts')).toBeUndefined()
    expect(relativeImports(`import { a } from '../x'\nexport * from "./y"\nconst m = await import('../../z')\nimport './side'`)).toEqual(['../x', './y', '../../z', './side'])
  })

  test('no file crosses a service boundary', () => {
    const files = sourceFiles()
    expect(files.length).toBeGreaterThan(50)
    const violations: string[] = []
    for (const file of files) {
      for (const spec of relativeImports(readFileSync(join(root, file), 'utf8'))) {
        const target = relative(root, resolve(root, dirname(file), spec))
        const why = boundaryViolation(file, target)
        if (why) violations.push(`${file} → ${spec}: ${why}`)
      }
    }
    expect(violations).toEqual([])
  })
})
