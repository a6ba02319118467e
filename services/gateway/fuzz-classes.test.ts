/**
 * The fuzzer's classes as properties over every route of the served document: a NUL in any path,
 * query or body string; JSON nested past the limit in any body field; percent-encodings (double,
 * broken) in any path parameter; an unknown body field. Whatever the input, the answer is never
 * a 5xx, always the documented error shape with X-Request-Id, and the guard names the field.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { generateApiKey, hashApiKey } from '../../shared/api-key'
import { calls } from '../../shared/contracts/calls'
import type { RequestContract } from '../../shared/contracts/define'
import { did } from '../../shared/contracts/did'
import { identity } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import { recordingSubjects } from '../../shared/contracts/recordings'
import { SCOPES } from '../../shared/contracts/common'
import { AppError } from '../../shared/errors'
import { gatewayApp } from './test-app'

const key = generateApiKey()
let gw: ReturnType<typeof gatewayApp>
let doc: Record<string, any>
const RUNS = Number(process.env.FUZZ_RUNS ?? 15)

beforeAll(async () => {
  gw = gatewayApp({ ratePerSecond: 100_000 })
  // Every service subject answers "not found": a request that passes the gateway's checks ends there.
  for (const group of [identity, did, sessions, calls, recordingSubjects] as Record<string, unknown>[]) {
    for (const c of Object.values(group)) {
      const contract = c as RequestContract
      if (contract.kind !== 'request' || contract === identity.verifyKey) continue
      gw.bus.serve(contract, async () => {
        throw new AppError('not_found', 'not found')
      })
    }
  }
  gw.bus.serve(identity.verifyKey, async ({ key_hash }) => {
    if (key_hash !== hashApiKey(key)) throw new AppError('unauthorized', 'unknown API key')
    return { tenant_id: 'ten_f', key_id: 'key_f', key_prefix: key.slice(0, 15), scopes: [...SCOPES], expires_at: null, rate_limit_per_second: null }
  })
  doc = (await (await gw.call('/openapi.json')).json()) as Record<string, any>
})
afterAll(() => gw.stop())

interface Op {
  method: string
  path: string
  params: string[]
  query: { name: string; type?: string }[]
  body?: { properties: Record<string, { type?: unknown; anyOf?: { type?: string }[] }>; required?: string[] }
  admin: boolean
}

function operations(): Op[] {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name),
      query: (op.parameters ?? []).filter((p: { in: string }) => p.in === 'query').map((p: { name: string; schema: { type?: string } }) => ({ name: p.name, type: p.schema.type })),
      body: op.requestBody?.content?.['application/json']?.schema,
      admin: path.startsWith('/admin/'),
    })),
  )
}

const text = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\u0000/?#%]/g, 'x'))
const withNul = fc.tuple(text, text).map(([a, b]) => `${a}\u0000${b}`)
const fieldName = fc.stringMatching(/^[a-z][a-z_]{0,14}$/)

async function send(op: Op, opts: { params?: Record<string, string>; rawParams?: Record<string, string>; query?: Record<string, string>; body?: string }) {
  let path = op.path
  for (const p of op.params) {
    const v = opts.rawParams?.[p] ?? encodeURIComponent(opts.params?.[p] ?? 'x1')
    path = path.replace(`{${p}}`, v)
  }
  const qs = new URLSearchParams(opts.query ?? {}).toString()
  const headers: Record<string, string> = op.admin ? { authorization: 'Bearer adm_test_0123456789abcdef' } : { 'x-api-key': key }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const r = await gw.call(qs ? `${path}?${qs}` : path, { method: op.method, headers, body: opts.body ?? (op.body ? '{}' : undefined) })
  const body = (await r.json()) as any
  return { status: r.status, body, requestId: r.headers.get('x-request-id') }
}

/** The documented error shape, never a 5xx. */
function documented(r: Awaited<ReturnType<typeof send>>) {
  expect(r.status).toBeLessThan(500)
  if (r.status >= 400) {
    expect(r.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String), request_id: r.requestId })
  }
}

const locs = (r: Awaited<ReturnType<typeof send>>) => (Array.isArray(r.body.detail) ? r.body.detail.map((d: { loc: unknown[] }) => d.loc.join('.')) : [])

/** A minimal valid body: required string fields filled (enough to get past "missing"). */
const baseBody = (op: Op) => Object.fromEntries((op.body?.required ?? []).map((k) => [k, op.body?.properties[k]?.type === 'array' ? ['+12025550100'] : '+14155550001']))

const stringProps = (op: Op) =>
  Object.entries(op.body?.properties ?? {})
    .filter(([, s]) => s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string')) || s.anyOf?.some((v) => v.type === 'string'))
    .map(([k]) => k)

describe('fuzzer classes over every route', () => {
  test('the document lists the routes to fuzz', () => {
    expect(operations().length).toBeGreaterThanOrEqual(20)
  })

  test('NUL in a path parameter → 422 naming it', async () => {
    for (const op of operations().filter((o) => o.params.length)) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...op.params), withNul, async (name, v) => {
          const r = await send(op, { params: { [name]: v } })
          documented(r)
          expect(r.status).toBe(422)
          expect(locs(r)).toContain(`path.${name}`)
        }),
        { numRuns: RUNS },
      )
    }
  })

  test('NUL in a query value → 422 naming it', async () => {
    for (const op of operations().filter((o) => o.query.length)) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...op.query.map((q) => q.name)), withNul, async (name, v) => {
          const r = await send(op, { query: { [name]: v } })
          documented(r)
          expect(r.status).toBe(422)
          expect(locs(r)).toContain(`query.${name}`)
        }),
        { numRuns: RUNS },
      )
    }
  })

  test('NUL in a body string → 422 naming it', async () => {
    for (const op of operations().filter((o) => stringProps(o).length)) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...stringProps(op)), withNul, async (name, v) => {
          const r = await send(op, { body: JSON.stringify({ ...baseBody(op), [name]: v }) })
          documented(r)
          expect(r.status).toBe(422)
          expect(locs(r)).toContain(`body.${name}`)
        }),
        { numRuns: RUNS },
      )
    }
  })

  test('JSON nested past the limit in any body field → 422 too_deep', async () => {
    for (const op of operations().filter((o) => o.body)) {
      const fields = Object.keys(op.body!.properties)
      // Under 64 KiB either way: arrays up to 30,000 deep, objects up to 10,000.
      const nesting = fc.oneof(fc.tuple(fc.integer({ min: 33, max: 30_000 }), fc.constant('[')), fc.tuple(fc.integer({ min: 33, max: 10_000 }), fc.constant('{"a":')))
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), nesting, async (name, [depth, open]) => {
          const close = open === '[' ? ']' : '}'
          const nested = open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth)
          const { [name]: _, ...rest } = baseBody(op)
          const head = JSON.stringify(rest).slice(0, -1)
          const r = await send(op, { body: `${head}${head.length > 1 ? ',' : ''}${JSON.stringify(name)}:${nested}}` })
          documented(r)
          expect(r.status).toBe(422)
          expect(r.body.detail.some((d: { type: string; loc: unknown[] }) => d.type === 'too_deep' && d.loc[1] === name)).toBe(true)
        }),
        { numRuns: Math.ceil(RUNS / 3) },
      )
    }
  }, 60_000)

  test('percent-encodings in a path parameter (double, broken, overlong) are decoded once, never a 5xx', async () => {
    const encoded = fc.oneof(
      fc.constantFrom('%25zz', '%zz', '%', '%E0%A4%A', '%C0%AF', '%2525', '%2F', '%FF', '%u0041'),
      fc.array(fc.constantFrom('%25', '%', 'zz', '%2', 'a', '%00'.replace('00', '41'), '%E2%82'), { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
    )
    for (const op of operations().filter((o) => o.params.length)) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...op.params), encoded, async (name, raw) => {
          documented(await send(op, { rawParams: { [name]: raw } }))
        }),
        { numRuns: RUNS },
      )
    }
  })

  test('an unknown body field → 422 extra_forbidden naming it', async () => {
    for (const op of operations().filter((o) => o.body)) {
      const known = Object.keys(op.body!.properties)
      await fc.assert(
        fc.asyncProperty(
          fieldName.filter((f) => !known.includes(f)),
          fc.jsonValue({ maxDepth: 2 }),
          async (name, value) => {
            const r = await send(op, { body: JSON.stringify({ ...baseBody(op), [name]: value }) })
            documented(r)
            expect(r.status).toBe(422)
            expect(r.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['body', name], type: 'extra_forbidden' })]))
          },
        ),
        { numRuns: RUNS },
      )
    }
  })
})
