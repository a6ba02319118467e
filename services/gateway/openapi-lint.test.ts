/**
 * The served OpenAPI document describes every answer, and two linters (Redocly's recommended
 * rules and Spectral's `spectral:oas`) find nothing in it: 0 errors, 0 warnings. Both run from
 * node_modules, offline. The linters are first shown to catch a document that lacks what ours has.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { responseModels } from './models'
import { gatewayApp } from './test-app'

const ROOT = join(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'))
let gw: ReturnType<typeof gatewayApp>
let doc: Record<string, any>

beforeAll(async () => {
  gw = gatewayApp()
  doc = (await (await gw.call('/openapi.json')).json()) as Record<string, any>
})
afterAll(async () => {
  await gw.stop()
  rmSync(dir, { recursive: true, force: true })
})

const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }

async function run(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' })
  const [out] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return out
}

async function redocly(file: string): Promise<{ errors: number; warnings: number; problems: { ruleId: string; message: string }[] }> {
  const out = await run(['bun', '--bun', join(ROOT, 'node_modules/.bin/redocly'), 'lint', file, '--format', 'json'])
  const r = JSON.parse(out.slice(out.indexOf('{')))
  return { ...r.totals, problems: r.problems.map((p: { ruleId: string; message: string }) => ({ ruleId: p.ruleId, message: p.message })) }
}

async function spectral(file: string): Promise<{ code: string; severity: number; message: string; path: string[] }[]> {
  writeFileSync(join(dir, '.spectral.yaml'), 'extends: ["spectral:oas"]\n')
  const out = await run(['bun', '--bun', join(ROOT, 'node_modules/.bin/spectral'), 'lint', file, '--ruleset', '.spectral.yaml', '-f', 'json', '--quiet'])
  return JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1))
}

const write = (name: string, d: unknown) => {
  writeFileSync(join(dir, name), JSON.stringify(d, null, 1))
  return name
}

describe('the OpenAPI document lints clean', () => {
  test('the linters catch what a poorer document lacks (licence, servers, a typed 200)', async () => {
    const poor = structuredClone(doc)
    delete poor.servers
    delete poor.info.license
    poor.tags.push({ name: 'unused' })
    poor.paths['/v1/sessions'].get.responses[200] = { description: 'Successful Response', content: { 'application/json': { schema: {} } } }
    const r = await redocly(write('poor.json', poor))
    expect(r.warnings + r.errors).toBeGreaterThan(0)
    expect(r.problems.map((p) => p.ruleId)).toEqual(expect.arrayContaining(['no-empty-servers', 'info-license']))
    const s = await spectral('poor.json')
    expect(s.map((x) => x.code)).toEqual(expect.arrayContaining(['oas3-api-servers', 'oas3-unused-component']))
  }, 60_000)

  test('Redocly (recommended rules): 0 errors, 0 warnings', async () => {
    const r = await redocly(write('openapi.json', doc))
    expect(r.problems).toEqual([])
    expect({ errors: r.errors, warnings: r.warnings }).toEqual({ errors: 0, warnings: 0 })
  }, 60_000)

  test('Spectral (spectral:oas): 0 errors, 0 warnings', async () => {
    const problems = await spectral(write('openapi.json', doc))
    expect(problems.filter((p) => p.severity <= 1).map((p) => `${p.code} ${p.path.join('.')}: ${p.message}`)).toEqual([])
  }, 60_000)
})

describe('the document describes every answer', () => {
  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, op })))

  test('every 200 is a named model, with X-Request-Id (and RateLimit-* on tenant routes)', () => {
    for (const { at, op } of operations()) {
      const ok = op.responses['200']
      // JSON answers are named models; a download (the recording's audio) names its media type instead.
      const json = ok.content?.['application/json']
      if (json) expect(json.schema.$ref, at).toMatch(/^#\/components\/schemas\/\w+$/)
      else expect(Object.keys(ok.content ?? {}), at).toEqual(['audio/wav'])
      expect(Object.keys(ok.headers ?? {}), at).toContain('X-Request-Id')
      const tenant = (op.security ?? []).some((s: object) => 'ApiKeyHeader' in s)
      if (tenant) expect(Object.keys(ok.headers), at).toEqual(expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']))
      if (tenant) expect(Object.keys(op.responses['429'].headers), at).toContain('Retry-After')
    }
  })

  test('X-API-Key is a security scheme, not a parameter; operator routes use the operator token', () => {
    expect(doc.components.securitySchemes.ApiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' })
    for (const { at, op } of operations()) {
      expect((op.parameters ?? []).map((p: { name: string }) => p.name.toLowerCase()), at).not.toContain('x-api-key')
      const schemes = (op.security ?? []).flatMap((s: object) => Object.keys(s))
      if (at.includes('/admin/v1/')) expect(schemes, at).toEqual(['OperatorToken'])
      else if (at.includes(' /v1/')) expect(schemes, at).toEqual(['ApiKeyHeader', 'ApiKeyBearer'])
    }
  })

  test("an endpoint's own 403 adds to the missing-scope 403", () => {
    const codes = doc.paths['/v1/sessions'].post.responses['403'].content['application/json'].schema.properties.error.properties.code
    expect(codes.enum).toEqual(['insufficient_scope', 'masked_number_not_assigned'])
  })

  test("/health's 503 is the health body with status degraded", () => {
    const r = doc.paths['/health'].get.responses
    expect(r['503'].content['application/json'].schema.$ref).toBe('#/components/schemas/HealthDegraded')
    expect(doc.components.schemas.HealthDegraded.properties.status).toMatchObject({ const: 'degraded' })
    expect(doc.paths['/health'].get.security).toEqual([])
  })

  test('servers, licence, contact; every tag described and used', () => {
    expect(doc.servers.length).toBeGreaterThan(0)
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' })
    expect(doc.info.contact.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/)
    const used = new Set(operations().flatMap(({ op }) => op.tags ?? []))
    expect(new Set(doc.tags.map((t: { name: string }) => t.name))).toEqual(used)
    for (const { at, op } of operations()) expect(op.tags?.length, at).toBeGreaterThan(0)
  })

  test("every model's example matches the model", () => {
    for (const [name, schema] of Object.entries(responseModels)) {
      const examples = (schema as { examples?: unknown[] }).examples
      expect(examples?.length, name).toBe(1)
      expect([...Value.Errors(schema, examples![0])].map((e) => `${e.path} ${e.message}`), name).toEqual([])
    }
  })
})
