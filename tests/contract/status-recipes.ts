/** How to make each contract operation answer each status it documents. */
import type { Client, HttpResult } from '../support/http'

export interface RecipeContext {
  http: Client
  key: string
  keyId: string
  tenantId: string
  adminToken: string
}

type Recipe = (c: RecipeContext) => Promise<HttpResult>

export const statusRecipes: Record<string, Record<number, Recipe>> = {
  'GET /health': {
    200: ({ http }) => http.get('/health'),
  },
  'GET /v1/api-keys': {
    200: ({ http, key }) => http.get('/v1/api-keys', { key }),
    422: ({ http, key }) => http.get('/v1/api-keys?limit=0', { key }),
  },
  'POST /v1/api-keys': {
    200: ({ http, key }) => http.post('/v1/api-keys', { key, body: { label: 'contract' } }),
    422: ({ http, key }) => http.post('/v1/api-keys', { key, body: { label: 'x'.repeat(81) } }),
  },
  'POST /v1/api-keys/{api_key_id}/rotate': {
    200: async ({ http, key }) => {
      const k = await http.post('/v1/api-keys', { key, body: {} })
      return http.post(`/v1/api-keys/${k.body.id}/rotate`, { key })
    },
    422: ({ http, key }) => http.post(`/v1/api-keys/${'k'.repeat(65)}/rotate`, { key }),
  },
  'POST /v1/api-keys/{api_key_id}/revoke': {
    200: async ({ http, key }) => {
      const k = await http.post('/v1/api-keys', { key, body: {} })
      return http.post(`/v1/api-keys/${k.body.id}/revoke`, { key })
    },
    422: ({ http, key }) => http.post(`/v1/api-keys/${'k'.repeat(65)}/revoke`, { key }),
  },
  'GET /v1/did/assignments': {
    200: ({ http, key }) => http.get('/v1/did/assignments?status=all', { key }),
    422: ({ http, key }) => http.get('/v1/did/assignments?limit=501', { key }),
  },
  'POST /v1/sessions': {
    200: async (c) => c.http.post('/v1/sessions', { key: c.key, body: { driver_phone: '+14155550001', customer_phone: '+14155550002', masked_e164: await contractNumber(c) } }),
    422: ({ http, key }) => http.post('/v1/sessions', { key, body: { driver_phone: '4155550001', customer_phone: '+14155550002' } }),
  },
  'GET /v1/sessions': {
    200: ({ http, key }) => http.get('/v1/sessions', { key }),
    422: ({ http, key }) => http.get('/v1/sessions?limit=0', { key }),
  },
  'GET /v1/sessions/{session_ref}': {
    200: async (c) => c.http.get(`/v1/sessions/${(await contractSession(c)).id}`, { key: c.key }),
    422: ({ http, key }) => http.get(`/v1/sessions/${'s'.repeat(129)}`, { key }),
  },
  'POST /v1/sessions/{session_ref}/complete': {
    200: async (c) => c.http.post(`/v1/sessions/${(await contractSession(c)).id}/complete`, { key: c.key }),
    422: ({ http, key }) => http.post(`/v1/sessions/${'s'.repeat(129)}/complete`, { key }),
  },
  'POST /v1/calls/originate': {
    // A 200 needs a connected drachtio-server (without one originate is 503 sip_unavailable).
    200: async (c) => {
      const r = await c.http.post('/v1/calls/originate', { key: c.key, body: { session_id: (await contractSession(c)).id } })
      if (r.status === 503) throw new Error('POST /v1/calls/originate → 200 needs a drachtio-server: set DRACHTIO_BIN (see docs/sip.md)')
      return r
    },
    422: ({ http, key }) => http.post('/v1/calls/originate', { key, body: { bill_id: 'no session_id' } }),
  },
}

/** A fresh number in the pool, assigned to the recipe's tenant. */
let numberSeq = 0
async function contractNumber({ http, adminToken, tenantId }: RecipeContext): Promise<string> {
  const n = `+1202555${String(9000 + numberSeq++).padStart(4, '0')}`
  await http.post('/admin/v1/dids', { bearer: adminToken, body: { numbers: [n] } })
  await http.post(`/admin/v1/dids/${n}/assign`, { bearer: adminToken, body: { tenant_id: tenantId } })
  return n
}

async function contractSession(c: RecipeContext): Promise<{ id: string }> {
  const r = await c.http.post('/v1/sessions', { key: c.key, body: { driver_phone: '+14155550011', customer_phone: '+14155550012', masked_e164: await contractNumber(c) } })
  if (r.status !== 200) throw new Error(`session for a recipe: ${r.status} ${r.text}`)
  return r.body
}
