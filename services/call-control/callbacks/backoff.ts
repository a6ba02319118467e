/**
 * When a failed callback is tried again: about 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h,
 * 24 h after each failure (three days in all), then never. Each delay is spread by ±10% so the
 * retries of many calls that failed together (a receiver outage) do not return together.
 */
export const RETRY_DELAYS_S = [10, 60, 300, 1800, 7200, 21600, 43200, 86400, 86400] as const

/** Attempts a delivery gets in all: the first and one per retry delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1

/**
 * The wait in milliseconds before the next attempt, after `attempts` attempts have failed (1 for
 * the first), or null when the delivery has had all its attempts.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number | null {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts counts from 1')
  const base = RETRY_DELAYS_S[attempts - 1]
  if (base === undefined) return null
  const jitter = 0.9 + 0.2 * Math.min(1, Math.max(0, random()))
  return Math.round(base * 1000 * jitter)
}
