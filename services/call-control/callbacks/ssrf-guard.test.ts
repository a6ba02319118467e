import { describe, expect, test } from 'bun:test'
import { CallbackUrlError, checkCallbackTarget, nonPublicReason, parseCallbackUrl } from './ssrf-guard'

describe('SSRF guard', () => {
  test('classifies addresses', () => {
    for (const [a, why] of [
      ['127.0.0.1', 'loopback'],
      ['127.9.9.9', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'shared (CGNAT)'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd00::1', 'unique local'],
      ['fe80::1', 'link-local'],
      ['::ffff:127.0.0.1', 'IPv4-mapped'],
      ['::ffff:7f00:1', 'IPv4-mapped'],
      ['::ffff:8.8.8.8', 'IPv4-mapped'],
      ['::7f00:1', 'IPv4-compatible'],
      ['64:ff9b::a00:1', 'NAT64'],
      ['64:ff9b::808:808', 'NAT64'],
      ['64:ff9b:1::1', 'NAT64 (local use)'],
      ['2002:7f00:1::1', '6to4'],
      ['2001:0:4136:e378::1', 'Teredo'],
      ['fec0::1', 'site-local'],
      ['100::1', 'discard'],
    ] as const) {
      expect([a, nonPublicReason(a)]).toEqual([a, why])
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860::8888', '2003::1', '64:ff9c::1', '100:0:0:1::1']) {
      expect([a, nonPublicReason(a)]).toEqual([a, undefined])
    }
  })

  test('only absolute http(s) URLs', () => {
    expect(parseCallbackUrl('https://example.com/cb').hostname).toBe('example.com')
    for (const bad of ['ftp://example.com/x', '/relative', 'example.com/cb', 'javascript:alert(1)', 'file:///etc/passwd']) {
      expect(() => parseCallbackUrl(bad)).toThrow(CallbackUrlError)
    }
  })

  test('refuses a host that resolves to a private address, unless allowed', async () => {
    const resolve = async (h: string) => (h === 'evil.example' ? ['93.184.216.34', '10.0.0.5'] : ['93.184.216.34'])
    const refused = await checkCallbackTarget(new URL('https://evil.example/cb'), { allowPrivate: false, resolve }).catch((e: Error) => e)
    expect(refused).toBeInstanceOf(CallbackUrlError)
    // The tenant is not told what the name resolved to, nor what kind of network it is.
    expect((refused as Error).message).toBe('evil.example does not resolve to a public address; callbacks to private networks are refused')
    expect(await checkCallbackTarget(new URL('https://good.example/cb'), { allowPrivate: false, resolve })).toEqual(['93.184.216.34'])
    expect(await checkCallbackTarget(new URL('https://evil.example/cb'), { allowPrivate: true, resolve })).toEqual(['93.184.216.34', '10.0.0.5'])
  })

  test('literal addresses are judged without DNS; localhost resolves to loopback', async () => {
    await expect(checkCallbackTarget(new URL('http://127.0.0.1:8080/'), { allowPrivate: false })).rejects.toThrow(/loopback/)
    await expect(checkCallbackTarget(new URL('http://[::1]/'), { allowPrivate: false })).rejects.toThrow(/loopback/)
    await expect(checkCallbackTarget(new URL('http://localhost/'), { allowPrivate: false })).rejects.toThrow(/localhost does not resolve to a public address/)
  })

  test('a name that does not resolve is a temporary failure, not a refusal', async () => {
    const err = await checkCallbackTarget(new URL('https://nowhere.invalid/'), {
      allowPrivate: false,
      resolve: async () => {
        throw new Error('ENOTFOUND')
      },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(CallbackUrlError)
    expect(err.permanent).toBe(false)
  })
})
