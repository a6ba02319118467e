import { describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import { validateBody, validateStrings } from './validation'

const Query = T.Object({
  limit: T.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: T.Integer({ minimum: 0, default: 0 }),
  status: T.Union([T.Literal('active'), T.Literal('all')], { default: 'active' }),
})
const Body = T.Object({ label: T.Optional(T.Union([T.String({ maxLength: 5 }), T.Null()])), name: T.String({ minLength: 1 }) })

describe('query validation', () => {
  test('defaults fill absent values and strings convert to integers', () => {
    expect(validateStrings(Query, {}, 'query')).toEqual({ ok: true, value: { limit: 50, offset: 0, status: 'active' } })
    expect(validateStrings(Query, { limit: '7', status: 'all' }, 'query')).toEqual({ ok: true, value: { limit: 7, offset: 0, status: 'all' } })
  })

  test('out-of-range and malformed values give loc/msg/type per parameter', () => {
    const r = validateStrings(Query, { limit: '501', offset: '-1', status: 'nope' }, 'query')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.issues).toEqual([
      { loc: ['query', 'limit'], msg: 'Input should be less than or equal to 500', type: 'less_than_equal' },
      { loc: ['query', 'offset'], msg: 'Input should be greater than or equal to 0', type: 'greater_than_equal' },
      { loc: ['query', 'status'], msg: "Input should be 'active', 'all'", type: 'enum' },
    ])
    const r2 = validateStrings(Query, { limit: 'ten' }, 'query')
    expect(r2.ok ? [] : r2.issues).toEqual([{ loc: ['query', 'limit'], msg: 'Input should be a valid integer', type: 'int_parsing' }])
  })
})

describe('body validation', () => {
  test('missing and too-long fields are reported at their location', () => {
    const r = validateBody(Body, { label: 'toolong' })
    expect(r.ok ? [] : r.issues).toEqual([
      { loc: ['body', 'name'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'label'], msg: 'String should have at most 5 characters', type: 'string_too_long' },
    ])
  })

  test('a nullable field reports its inner type', () => {
    const r = validateBody(Body, { name: 'x', label: 5 })
    expect(r.ok ? [] : r.issues).toEqual([{ loc: ['body', 'label'], msg: 'Input should be a valid string', type: 'string_type' }])
    expect(validateBody(Body, { name: 'x', label: null }).ok).toBe(true)
  })

  test('unknown fields are dropped, not rejected', () => {
    expect(validateBody(Body, { name: 'x', extra: 1 })).toEqual({ ok: true, value: { name: 'x' } })
  })
})
