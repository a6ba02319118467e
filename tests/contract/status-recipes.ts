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
}
