import { describe, expect, test } from 'bun:test'
import { chunks, numbersFromCsv } from './csv'

describe('numbersFromCsv', () => {
  test('takes the number column by its header, wherever it is', () => {
    expect(numbersFromCsv('country,e164,note\nUS,+12025550100,first\nUS,"+1 202 555 0101","a, b"\n')).toEqual(['+12025550100', '+12025550101'])
  })
  test('no header: the first column; blank lines and duplicates dropped; BOM and CRLF handled', () => {
    expect(numbersFromCsv('\uFEFF+12025550100\r\n\r\n+12025550101,x\r\n+12025550100\r\n')).toEqual(['+12025550100', '+12025550101'])
  })
  test('an unknown header row is skipped; semicolons work', () => {
    expect(numbersFromCsv('Numbers;Label\n+442071838750;london\n')).toEqual(['+442071838750'])
  })
  test('chunks of at most 1000', () => {
    expect(chunks(Array.from({ length: 2500 }, (_, i) => i)).map((c) => c.length)).toEqual([1000, 1000, 500])
  })
})
