import { describe, expect, test } from 'bun:test'
import { cooldownEnd, poolStatus } from './pool-status'

describe('poolStatus', () => {
  const now = new Date('2026-01-01T12:00:00Z')
  test('a current assignment decides', () => {
    expect(poolStatus({ status: 'active' }, null, now)).toBe('active')
    expect(poolStatus({ status: 'suspended' }, new Date('2027-01-01T00:00:00Z'), now)).toBe('suspended')
  })
  test('without one, the cool-down decides, exactly at its end', () => {
    expect(poolStatus(null, null, now)).toBe('available')
    expect(poolStatus(null, new Date(now.getTime() + 1), now)).toBe('cooling_down')
    expect(poolStatus(null, now, now)).toBe('available')
    expect(poolStatus({ status: 'released' }, new Date(now.getTime() - 1), now)).toBe('available')
  })
  test('cooldownEnd adds the hours', () => {
    expect(cooldownEnd(now, 24).toISOString()).toBe('2026-01-02T12:00:00.000Z')
    expect(cooldownEnd(now, 0).getTime()).toBe(now.getTime())
  })
})
