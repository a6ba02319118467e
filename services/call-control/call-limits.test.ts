import { describe, expect, test } from 'bun:test'
import { TenantCallLimits } from './call-limits'

describe('per-tenant call limits', () => {
  test('concurrent: the N+1th live call of a tenant is refused; other tenants are not affected; a release frees a slot', () => {
    const l = new TenantCallLimits({ maxConcurrent: 2, perMinute: 0 })
    const a = l.admit('t1')
    const b = l.admit('t1')
    expect([a.ok, b.ok]).toEqual([true, true])
    expect(l.admit('t1')).toEqual({ ok: false, refusal: 'concurrent_calls' })
    expect(l.admit('t2').ok).toBe(true)
    if (a.ok) {
      a.release()
      a.release() // twice is once
    }
    expect(l.liveOf('t1')).toBe(1)
    expect(l.admit('t1').ok).toBe(true)
  })

  test('per minute: counted over a sliding 60 s window', () => {
    let now = 1_700_000_000_000
    const l = new TenantCallLimits({ maxConcurrent: 0, perMinute: 3 }, () => now)
    const at = (t: number) => {
      now = 1_700_000_000_000 + t
      return l.admit('t')
    }
    for (const dt of [0, 10_000, 20_000]) {
      const r = at(dt)
      expect(r.ok).toBe(true)
      if (r.ok) r.release()
    }
    expect(at(59_000)).toEqual({ ok: false, refusal: 'calls_per_minute' })
    expect(at(60_500).ok).toBe(true) // the first call left the window
    expect(at(61_000)).toEqual({ ok: false, refusal: 'calls_per_minute' })
    expect(at(200_000).ok).toBe(true) // long idle: the whole window is empty
  })

  test('0 means no limit', () => {
    const l = new TenantCallLimits({ maxConcurrent: 0, perMinute: 0 })
    for (let i = 0; i < 1000; i++) expect(l.admit('t').ok).toBe(true)
  })
})
