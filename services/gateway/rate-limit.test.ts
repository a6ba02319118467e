import { describe, expect, test } from 'bun:test'
import { take, type Bucket } from './rate-limit'

describe('token bucket', () => {
  const limit = { ratePerSecond: 20, burst: 40 }

  test('a full bucket admits exactly the burst, then refuses with Retry-After', () => {
    const b: Bucket = { tokens: 40, updatedMs: 0 }
    for (let i = 0; i < 40; i++) expect(take(b, limit, 0).allowed).toBe(true)
    const refused = take(b, limit, 0)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 40, retryAfterSeconds: 1, resetSeconds: 2 })
  })

  test('tokens come back at the rate', () => {
    const b: Bucket = { tokens: 0, updatedMs: 0 }
    expect(take(b, limit, 25).allowed).toBe(false) // 0.5 token
    expect(take(b, limit, 50).allowed).toBe(true) // 1 token after 50 ms at 20/s
    expect(take(b, limit, 10_000).remaining).toBe(39) // capped at the burst, minus the one taken
  })
})
