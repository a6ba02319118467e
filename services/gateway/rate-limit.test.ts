import { describe, expect, test } from 'bun:test'
import { RateLimiter, spendElsewhere, take, type Bucket } from './rate-limit'

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

describe('shared between gateways', () => {
  const limit = { ratePerSecond: 20, burst: 40 }

  test('what another gateway spent is taken from this bucket, into debt down to one burst', () => {
    const b: Bucket = { tokens: 40, updatedMs: 0 }
    spendElsewhere(b, limit, 30, 0)
    expect(b.tokens).toBe(10)
    spendElsewhere(b, limit, 100, 0)
    expect(b.tokens).toBe(-40)
    // A debt is paid back before anything is admitted again: 41 tokens' worth of time.
    expect(take(b, limit, 2000).allowed).toBe(false)
    expect(take(b, limit, 2050).allowed).toBe(true)
  })

  test('two limiters exchanging usage admit one allowance between them, not two', () => {
    const a = new RateLimiter(limit)
    const b = new RateLimiter(limit)
    let admitted = 0
    // 10 s of both gateways trying 100 requests every 100 ms, reporting to each other every 100 ms.
    for (let t = 0; t <= 10_000; t += 100) {
      for (let i = 0; i < 100; i++) {
        if (a.check('ten_1', limit, t).allowed) admitted++
        if (b.check('ten_1', limit, t).allowed) admitted++
      }
      for (const u of a.takeUsage()) b.absorb(u.tenant_id, limit, u.used, t)
      for (const u of b.takeUsage()) a.absorb(u.tenant_id, limit, u.used, t)
    }
    a.stop()
    b.stop()
    const allowance = 40 + 20 * 10
    expect(admitted).toBeGreaterThanOrEqual(allowance * 0.95)
    expect(admitted).toBeLessThanOrEqual(allowance * 1.1)
  })
})
