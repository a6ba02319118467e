import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../shared/log'
import { dtmfSourceCheck } from './dtmf-sources'

const log = createLogger({ level: 'silent' })

describe('where DTMF events are believed from', () => {
  test('DTMF_EVENTS_SOURCES set: its CIDRs, nothing else (compose: the network gateway Docker publishes through)', async () => {
    const ok = await dtmfSourceCheck('172.16.0.0/12', 'udp:rtpengine-host:22222', log)
    expect(ok('172.18.0.1')).toBe(true)
    expect(ok('10.0.0.7')).toBe(false)
  })

  test('unset: the RTPENGINE_URLS hosts, names resolved to addresses (a name never equals a source address)', async () => {
    const ok = await dtmfSourceCheck('', 'udp:localhost:22222,udp:10.1.2.3:22222', log)
    expect(ok('127.0.0.1')).toBe(true)
    expect(ok('10.1.2.3')).toBe(true)
    expect(ok('localhost')).toBe(false)
    expect(ok('10.1.2.4')).toBe(false)
  })

  test('a host that does not resolve is believed for nothing', async () => {
    const ok = await dtmfSourceCheck('', 'udp:no-such-host.invalid:22222', log)
    expect(ok('127.0.0.1')).toBe(false)
  })
})
