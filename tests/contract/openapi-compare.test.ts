import { expect, test } from 'bun:test'
import { compareOperation } from './openapi-compare'

type Json = Record<string, any>

// The comparison must itself catch a drift, or the contract test proves nothing.
test('the comparison reports a changed default, a lost bound, a missing parameter and status', () => {
  const contract = {
    paths: {
      '/x': {
        get: {
          parameters: [
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
            { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['a', 'b'], default: 'a' } },
            { name: 'X-API-Key', in: 'header', required: false, schema: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
          ],
          responses: { 200: {}, 422: {} },
        },
      },
    },
  }
  const good = {
    paths: {
      '/x': {
        get: {
          parameters: [
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
            { name: 'status', in: 'query', required: false, schema: { anyOf: [{ const: 'a', type: 'string' }, { const: 'b', type: 'string' }], default: 'a' } },
            { name: 'x-api-key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: { 200: {}, 422: {}, 401: {} },
        },
      },
    },
  }
  expect(compareOperation(contract, good, '/x', 'get')).toEqual([])
  const bad = structuredClone(good) as any
  bad.paths['/x'].get.parameters[0].schema.default = 20
  delete bad.paths['/x'].get.parameters[0].schema.maximum
  bad.paths['/x'].get.parameters.splice(1, 1)
  delete bad.paths['/x'].get.responses[422]
  expect(compareOperation(contract, bad, '/x', 'get')).toEqual([
    'GET /x query limit: default 50 expected, served 20',
    'GET /x query limit: maximum 500 expected, served undefined',
    'GET /x: parameter query status missing',
    'GET /x: response 422 not documented',
  ])
})

test('an optional header parameter is honoured by an apiKey security scheme of that name, and only by one', () => {
  const contract = { paths: { '/x': { get: { parameters: [{ name: 'X-API-Key', in: 'header', required: false, schema: { type: 'string' } }], responses: { 200: {} } } } } }
  const served = (scheme: Json) => ({
    components: { securitySchemes: { Key: scheme } },
    paths: { '/x': { get: { security: [{ Key: [] }], responses: { 200: {} } } } },
  })
  expect(compareOperation(contract, served({ type: 'apiKey', in: 'header', name: 'x-api-key' }), '/x', 'get')).toEqual([])
  expect(compareOperation(contract, served({ type: 'apiKey', in: 'query', name: 'X-API-Key' }), '/x', 'get')).toEqual(['GET /x: parameter header X-API-Key missing'])
  expect(compareOperation(contract, served({ type: 'http', scheme: 'bearer' }), '/x', 'get')).toEqual(['GET /x: parameter header X-API-Key missing'])
})
