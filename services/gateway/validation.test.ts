import { describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import { KeyCreateInput } from '../../shared/contracts/identity'
import { choice, query } from './params'
import { closestField, convertStrings, issuesOf } from './validation'

const Query = query({
  limit: T.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: T.Integer({ minimum: 0, default: 0 }),
  status: choice(['active', 'all'], { default: 'active', title: 'Status' }),
})
const Body = T.Object({ label: T.Optional(T.Union([T.String({ maxLength: 5 }), T.Null()])), name: T.String({ minLength: 1 }) }, { additionalProperties: false })

describe('query issues', () => {
  test('defaults fill absent values and strings convert to integers', () => {
    expect(convertStrings(Query, {})).toEqual({ limit: 50, offset: 0, status: 'active' })
    expect(convertStrings(Query, { limit: '7', status: 'all' })).toEqual({ limit: 7, offset: 0, status: 'all' })
    expect(issuesOf(Query, convertStrings(Query, { limit: '7' }), 'query')).toEqual([])
  })

  test('out-of-range and malformed values give loc/msg/type per parameter, all at once', () => {
    expect(issuesOf(Query, convertStrings(Query, { limit: '501', offset: '-1', status: 'nope' }), 'query')).toEqual([
      { loc: ['query', 'limit'], msg: 'Input should be less than or equal to 500', type: 'less_than_equal' },
      { loc: ['query', 'offset'], msg: 'Input should be greater than or equal to 0', type: 'greater_than_equal' },
      { loc: ['query', 'status'], msg: "Input should be 'active', 'all'", type: 'enum' },
    ])
    expect(issuesOf(Query, convertStrings(Query, { limit: 'ten' }), 'query')).toEqual([{ loc: ['query', 'limit'], msg: 'Input should be a valid integer', type: 'int_parsing' }])
  })
})

describe('body issues', () => {
  test('missing and too-long fields are reported at their location', () => {
    expect(issuesOf(Body, { label: 'toolong' }, 'body')).toEqual([
      { loc: ['body', 'name'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'label'], msg: 'String should have at most 5 characters', type: 'string_too_long' },
    ])
  })

  test('a nullable field reports its inner type', () => {
    expect(issuesOf(Body, { name: 'x', label: 5 }, 'body')).toEqual([{ loc: ['body', 'label'], msg: 'Input should be a valid string', type: 'string_type' }])
    expect(issuesOf(Body, { name: 'x', label: null }, 'body')).toEqual([])
  })

  test('unknown fields are refused, each named, with the field probably meant', () => {
    expect(issuesOf(KeyCreateInput, { label: 'x', scope: ['sessions:read'], expires_in: 5, colour: 'blue' }, 'body')).toEqual([
      { loc: ['body', 'scope'], msg: "Extra inputs are not permitted; did you mean 'scopes'?", type: 'extra_forbidden' },
      { loc: ['body', 'expires_in'], msg: "Extra inputs are not permitted; did you mean 'expires_in_days'?", type: 'extra_forbidden' },
      { loc: ['body', 'colour'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
    ])
  })

  test('closest field: misspellings, prefixes and stems; nothing for an unrelated name', () => {
    expect(closestField('lable', ['label', 'scopes'])).toBe('label')
    expect(closestField('ttl', ['ttl_minutes', 'order_id'])).toBe('ttl_minutes')
    expect(closestField('drivers_phone', ['driver_phone', 'customer_phone'])).toBe('driver_phone')
    expect(closestField('colour', ['label', 'scopes', 'expires_in_days'])).toBeUndefined()
  })
})
