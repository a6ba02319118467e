import { describe, expect, test } from 'bun:test'
import { retry, settlesWithin } from './async'

describe('retry', () => {
  test('tries until one succeeds, and no more', async () => {
    const seen: number[] = []
    const v = await retry(async (n) => (seen.push(n), n < 3 ? Promise.reject(new Error('no')) : 'ok'), { attempts: 5, baseDelayMs: 1 })
    expect(v).toBe('ok')
    expect(seen).toEqual([1, 2, 3])
  })

  test('after the last attempt the last failure is thrown', async () => {
    let n = 0
    await expect(retry(async () => Promise.reject(new Error(`fail ${++n}`)), { attempts: 3, baseDelayMs: 1 })).rejects.toThrow('fail 3')
  })
})

describe('settlesWithin', () => {
  test('true when the promise fulfils in time, false when the time runs out first', async () => {
    expect(await settlesWithin(Promise.resolve(), 10_000)).toBe(true)
    expect(await settlesWithin(new Promise(() => {}), 1)).toBe(false)
  })

  test('a rejection is not a timeout', async () => {
    await expect(settlesWithin(Promise.reject(new Error('down')), 10_000)).rejects.toThrow('down')
  })
})
