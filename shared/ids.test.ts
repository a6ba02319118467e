import { expect, test } from 'bun:test'
import { hasPrefix, newId } from './ids'

test('ids are prefixed, fixed-length and sort in creation order, even within one millisecond', () => {
  const ids = Array.from({ length: 2000 }, () => newId('ses'))
  expect(ids.every((id) => hasPrefix(id, 'ses'))).toBe(true)
  expect([...ids].sort()).toEqual(ids)
  expect(new Set(ids).size).toBe(ids.length)
  expect(newId('ten', 1000) < newId('ten', 2000)).toBe(true)
})
