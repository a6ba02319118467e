import { describe, expect, test } from 'bun:test'
import { cleanSdp, SdpPresenter } from './sdp-cleaner'

// What rtpengine hands back for a baresip-like offer: its own address and ports, but the
// caller's origin, session name and identity attributes passed through.
const FROM_RTPENGINE = [
  'v=0',
  'o=+14155550001 3817 2 IN IP4 127.0.0.1',
  's=+14155550001 phone',
  'i=Driver Dan',
  'u=http://example.com/dan',
  'e=dan@example.com',
  'p=+14155550001',
  'c=IN IP4 127.0.0.1',
  'b=AS:64',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 101',
  'i=my mic',
  'a=ssrc:1234 cname:sip:+14155550001@192.168.1.10',
  'a=ssrc:1234 msid:+14155550001 audio0',
  'a=msid-semantic: WMS +14155550001',
  'a=msid:+14155550001 audio0',
  'a=label:+14155550001',
  'a=tool:baresip 3.4.0 (+14155550001)',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=candidate:1 1 UDP 2130706431 192.168.1.10 5004 typ host',
  'a=ice-ufrag:abcd',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  'a=rtcp:40001',
  'a=rtcp-mux',
  '',
].join('\r\n')

describe('cleanSdp', () => {
  const out = cleanSdp(FROM_RTPENGINE, { sessionId: '5550001234', version: 7 })

  test('a new origin and a neutral session name', () => {
    expect(out).toContain('\r\no=- 5550001234 7 IN IP4 127.0.0.1\r\n')
    expect(out).toContain('\r\ns=-\r\n')
  })

  test('nothing of the other party survives: no number, no address of theirs, no identity attribute', () => {
    expect(out).not.toContain('4155550001')
    expect(out).not.toContain('192.168.1.10')
    for (const gone of ['a=ssrc', 'cname', 'msid', 'a=label', 'a=tool', 'a=mid', 'a=extmap', 'a=candidate', 'a=ice-', 'i=', 'u=', 'e=', 'p=', 'Dan']) expect(out).not.toContain(gone)
  })

  test('what media needs is kept, in order', () => {
    expect(out.split('\r\n')).toEqual([
      'v=0',
      'o=- 5550001234 7 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      'b=AS:64',
      't=0 0',
      'm=audio 40000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
      'a=rtcp:40001',
      'a=rtcp-mux',
      '',
    ])
  })

  test('LF-only input gives CRLF output; IPv6 connection gives an IP6 origin', () => {
    const v6 = cleanSdp('v=0\no=x 1 1 IN IP6 ::1\ns=x\nc=IN IP6 2001:db8::5\nt=0 0\nm=audio 4000 RTP/AVP 0\na=inactive\n', { sessionId: '1', version: 0 })
    expect(v6).toBe('v=0\r\no=- 1 0 IN IP6 2001:db8::5\r\ns=-\r\nc=IN IP6 2001:db8::5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n')
  })

  test('T.38 and SRTP attributes pass', () => {
    const t38 = cleanSdp('v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=a\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=image 4000 udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n', { sessionId: '1', version: 0 })
    expect(t38).toContain('a=T38FaxVersion:0')
    expect(t38).toContain('a=T38FaxRateManagement:transferredTCF')
    expect(t38).toContain('a=crypto:1')
  })
})

describe('SdpPresenter', () => {
  test('one session id per party; the version rises only when what it is sent changes', () => {
    const p = new SdpPresenter('42')
    const first = p.present(FROM_RTPENGINE)
    expect(first).toContain('o=- 42 0 IN IP4')
    // The same media again (a session refresh) with the far end's version bumped: same version.
    expect(p.present(FROM_RTPENGINE.replace('3817 2', '3817 3'))).toBe(first)
    const held = p.present(FROM_RTPENGINE.replace('a=sendrecv', 'a=sendonly'))
    expect(held).toContain('o=- 42 1 IN IP4')
    expect(held).toContain('a=sendonly')
    expect(p.last).toBe(held)
    expect(new SdpPresenter().present(FROM_RTPENGINE)).toMatch(/^o=- \d{10} 0 IN IP4/m)
  })
})
