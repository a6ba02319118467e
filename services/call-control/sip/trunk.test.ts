import { describe, expect, test } from 'bun:test'
import { parseTrunk, trunkUri } from './trunk'

describe('SIP_OUTBOUND_TRUNK', () => {
  test('host[:port][;transport=…]', () => {
    expect(parseTrunk('sbc.example.com')).toEqual({ host: 'sbc.example.com' })
    expect(parseTrunk('10.0.0.5:5080')).toEqual({ host: '10.0.0.5', port: 5080 })
    expect(parseTrunk('sbc.example.com:5061;transport=TLS')).toEqual({ host: 'sbc.example.com', port: 5061, transport: 'tls' })
    expect(parseTrunk('[2001:db8::1]:5060;transport=tcp')).toEqual({ host: '[2001:db8::1]', port: 5060, transport: 'tcp' })
  })

  test('refuses what is not a trunk', () => {
    for (const bad of ['', 'sip:host', 'host:0', 'host:70000', 'host;transport=sctp', 'host;foo=bar', 'ho st', 'host:port']) {
      expect(() => parseTrunk(bad)).toThrow(/host\[:port\]/)
    }
  })

  test('builds the Request-URI with the number in E.164', () => {
    expect(trunkUri(parseTrunk('10.0.0.5:5080;transport=tcp'), '+12025550123')).toBe('sip:+12025550123@10.0.0.5:5080;transport=tcp')
    expect(trunkUri(parseTrunk('sbc.example.com'), '+447911123456')).toBe('sip:+447911123456@sbc.example.com')
  })
})
