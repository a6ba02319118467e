import { expect, test } from 'bun:test'
import { compareOperation } from './openapi-compare'

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
