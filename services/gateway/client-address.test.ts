import { describe, expect, test } from 'bun:test'
import { clientAddress, parseTrustedProxies } from './client-address'

describe('client address behind trusted proxies', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, 192.168.1.5 fd00::/8')

  test('the right-most untrusted X-Forwarded-For entry is the client; a forged left part is ignored', () => {
    expect(clientAddress('10.0.0.2', '1.2.3.4', proxies)).toBe('1.2.3.4')
    // The client wrote "6.6.6.6" itself; our proxies appended what they saw.
    expect(clientAddress('10.0.0.2', '6.6.6.6, 1.2.3.4, 10.1.1.1', proxies)).toBe('1.2.3.4')
    expect(clientAddress('192.168.1.5', '6.6.6.6,2001:db8::7', proxies)).toBe('2001:db8::7')
    expect(clientAddress('::ffff:10.0.0.2', '1.2.3.4', proxies)).toBe('1.2.3.4')
  })

  test('a peer that is not a trusted proxy is the client, whatever it forwards', () => {
    expect(clientAddress('8.8.8.8', '1.2.3.4', proxies)).toBe('8.8.8.8')
    expect(clientAddress('8.8.8.8', '1.2.3.4', parseTrustedProxies(''))).toBe('8.8.8.8')
    expect(clientAddress('8.8.8.8', '1.2.3.4', parseTrustedProxies('false'))).toBe('8.8.8.8')
  })

  test('all hops trusted: the left-most; garbage: the peer', () => {
    expect(clientAddress('10.0.0.2', '10.0.0.9, 10.0.0.3', proxies)).toBe('10.0.0.9')
    expect(clientAddress('10.0.0.2', 'unknown, 10.0.0.3', proxies)).toBe('10.0.0.2')
  })

  test('bad lists are refused naming the entry; true is no longer a value', () => {
    expect(() => parseTrustedProxies('10.0.0.0/40')).toThrow(/bad prefix/)
    expect(() => parseTrustedProxies('proxy.local')).toThrow(/proxy\.local/)
    expect(() => parseTrustedProxies('true')).toThrow(/list of proxy addresses/)
  })
})
