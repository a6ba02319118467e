import { describe, expect, test } from 'bun:test'
import { MAX_ATTEMPTS, RETRY_DELAYS_S, retryDelayMs } from './backoff'

describe('callback retry backoff', () => {
  test('10 s, 1 m, 5 m, 30 m, 2 h, 6 h, 12 h, 24 h, 24 h, then give up', () => {
    const mid = () => 0.5 // no jitter
    const delays = Array.from({ length: 10 }, (_, i) => retryDelayMs(i + 1, mid))
    expect(delays).toEqual([10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 86_400_000, null])
    expect(MAX_ATTEMPTS).toBe(10)
  })

  test('about three days from the first failure to giving up', () => {
    const totalH = RETRY_DELAYS_S.reduce((a, b) => a + b, 0) / 3600
    expect(totalH).toBeGreaterThan(68)
    expect(totalH).toBeLessThan(72)
  })

  test('jitter stays within ±10%', () => {
    expect(retryDelayMs(1, () => 0)).toBe(9_000)
    expect(retryDelayMs(1, () => 1)).toBe(11_000)
    expect(retryDelayMs(2, () => 2)).toBe(66_000) // out-of-range randomness is clamped
  })

  test('attempts count from 1', () => {
    expect(() => retryDelayMs(0)).toThrow(RangeError)
    expect(() => retryDelayMs(1.5)).toThrow(RangeError)
  })
})
