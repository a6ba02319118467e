import { describe, expect, test } from 'bun:test'
import { parseCidrList } from './trusted-sources'

describe('SIP_TRUSTED_SOURCES', () => {
  test('IPv4 CIDRs and bare addresses', () => {
    const t = parseCidrList('10.0.0.0/8, 192.0.2.10 127.0.0.1/32')
    expect(t.includes('10.200.3.4')).toBe(true)
    expect(t.includes('192.0.2.10')).toBe(true)
    expect(t.includes('192.0.2.11')).toBe(false)
    expect(t.includes('127.0.0.1')).toBe(true)
    expect(t.includes('127.0.0.2')).toBe(false)
    expect(t.includes('11.0.0.1')).toBe(false)
  })

  test('IPv6 and IPv4-mapped addresses', () => {
    const t = parseCidrList('2001:db8::/32,::1,127.0.0.0/8')
    expect(t.includes('2001:db8:1::5')).toBe(true)
    expect(t.includes('2001:db9::5')).toBe(false)
    expect(t.includes('::1')).toBe(true)
    expect(t.includes('::ffff:127.0.0.5')).toBe(true) // a dual-stack socket's view of IPv4
    expect(t.includes('[::1]')).toBe(true)
  })

  test('/0 trusts everything of its family; empty trusts nothing', () => {
    expect(parseCidrList('0.0.0.0/0').includes('203.0.113.9')).toBe(true)
    expect(parseCidrList('0.0.0.0/0').includes('::1')).toBe(false)
    expect(parseCidrList('').includes('127.0.0.1')).toBe(false)
    expect(parseCidrList('').ranges).toHaveLength(0)
  })

  test('bad entries are named', () => {
    expect(() => parseCidrList('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/)
    expect(() => parseCidrList('10.0.0/8')).toThrow(/not an IP address/)
    expect(() => parseCidrList('example.com')).toThrow(/example\.com/)
    expect(() => parseCidrList('::/129')).toThrow(/prefix/)
  })

  test('garbage source addresses are never trusted', () => {
    expect(parseCidrList('0.0.0.0/0').includes('not-an-ip')).toBe(false)
    expect(parseCidrList('::/0').includes('fe80::1%eth0')).toBe(true)
  })
})
