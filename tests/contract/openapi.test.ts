/**
 * Contract test: the served OpenAPI has every path, method, parameter, default and bound of the
 * contract (tests/contract/masking-api.openapi.json, a copy of the seed), and every status the
 * contract documents for an operation actually occurs when the operation is called.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import contract from './masking-api.openapi.json'
import { ALL_SERVICES } from '../../services/all-in-one/services'
import { client, createTenant, type Client } from '../support/http'
import { startTestPlatform, type TestPlatform } from '../support/platform'
import { findDrachtio, optionalSipEnv } from '../sip/support'
import { compareOperation, contractOperations } from './openapi-compare'
import { statusRecipes, type RecipeContext } from './status-recipes'

let tp: TestPlatform
let http: Client
let served: Record<string, any>
let sip: Awaited<ReturnType<typeof optionalSipEnv>> | undefined

beforeAll(async () => {
  // originate → 200 needs a drachtio-server (found via DRACHTIO_BIN or PATH).
  sip = await optionalSipEnv()
  tp = await startTestPlatform(ALL_SERVICES, { CALLBACK_ALLOW_PRIVATE: 'true', ...sip.env })
  http = client(tp.baseUrl)
  served = (await http.get('/openapi.json')).body
})
afterAll(async () => {
  await tp?.stop()
  await sip?.stop()
})

const operations = contractOperations(contract)

/** Statuses only a connected drachtio-server can produce; without one they are skipped, loudly. */
const NEEDS_SIP = new Set(['POST /v1/calls/originate → 200'])
const sipMissing = !findDrachtio()
if (sipMissing) {
  console.warn(
    `\n${'!'.repeat(78)}\n!!! CONTRACT TEST SKIPS ${[...NEEDS_SIP].join(', ')}: no drachtio-server (set DRACHTIO_BIN or put \`drachtio\` on PATH).\n` +
      `!!! Without one, originate answers 503 sip_unavailable; see docs/sip.md.\n${'!'.repeat(78)}\n`,
  )
}

describe('served OpenAPI honours the contract', () => {
  test('the document and the reference page are served', async () => {
    expect(served.openapi).toMatch(/^3\./)
    const docs = await http.get('/docs')
    expect(docs.status).toBe(200)
    expect(docs.headers.get('content-type')).toContain('text/html')
  })

  test.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s', (_, { path, method }) => {
    expect(compareOperation(contract, served, path, method)).toEqual([])
  })
})

describe('every documented status occurs', () => {
  let ctx: RecipeContext
  beforeAll(async () => {
    const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    ctx = { http, key: t.key, keyId: t.keyId, tenantId: t.tenantId, adminToken: tp.adminToken }
  })

  for (const { path, method } of operations) {
    for (const status of Object.keys((contract.paths as any)[path][method].responses)) {
      const name = `${method.toUpperCase()} ${path} → ${status}`
      test.skipIf(sipMissing && NEEDS_SIP.has(name))(name, async () => {
        const recipe = statusRecipes[`${method.toUpperCase()} ${path}`]?.[Number(status)]
        expect(recipe, `no recipe to produce ${status}`).toBeDefined()
        const r = await recipe!(ctx)
        expect(r.status).toBe(Number(status))
        if (Number(status) === 422) {
          expect(Array.isArray(r.body.detail)).toBe(true)
          expect(r.body.detail[0]).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) })
        }
      })
    }
  }
})
