/**
 * The SDP a party receives, cleaned of everything the other party put in it. rtpengine rewrites
 * the connection address and ports but passes the origin's username and session id, the session
 * name and every `a=` line; those can carry a number or a device identity (`a=ssrc:… cname:sip:
 * +1415…@…`, msid, label, tool, i=/u=/e=/p= lines). So the cleaner keeps only what media needs,
 * by allow-list: an attribute nobody listed is dropped rather than leaked.
 *
 * Each party gets an origin of its own (`o=- <our session id> <version>`), the same for the whole
 * call, with the version raised only when the SDP it receives changes (RFC 3264 §8).
 */

/** Attributes media needs (codecs, packetization, direction, RTCP, SRTP keys, T.38). */
const KEPT_ATTRIBUTES = new Set([
  'rtpmap',
  'fmtp',
  'ptime',
  'maxptime',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
  'rtcp',
  'rtcp-mux',
  'rtcp-rsize',
  'rtcp-fb',
  'crypto',
  'fingerprint',
  'setup',
  'silencesupp',
  'framerate',
  'orient',
  'lang',
])

/** Lines kept as they are (version, connection, bandwidth, times, media). */
const KEPT_LINES = new Set(['v', 'c', 'b', 't', 'r', 'z', 'm'])

function keepAttribute(line: string): boolean {
  const name = line.slice(2).split(/[:\s]/, 1)[0]!.toLowerCase()
  return KEPT_ATTRIBUTES.has(name) || name.startsWith('t38')
}

export interface Origin {
  sessionId: string
  version: number
}

/**
 * Cleans one SDP body: a new origin (`o=- id version IN IP4|IP6 <first connection address>`),
 * `s=-`, no i=/u=/e=/p=/k= lines, only allow-listed attributes. Line endings become CRLF.
 */
export function cleanSdp(sdp: string, origin: Origin): string {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0)
  const conn = lines.find((l) => l.startsWith('c='))
  const m = conn ? /^c=IN (IP[46]) (\S+)/.exec(conn) : null
  const family = m?.[1] ?? 'IP4'
  const address = m?.[2]?.split('/')[0] ?? '0.0.0.0'
  const out: string[] = []
  for (const line of lines) {
    const type = line[0]
    if (line[1] !== '=') continue
    if (type === 'o') out.push(`o=- ${origin.sessionId} ${origin.version} IN ${family} ${address}`)
    else if (type === 's') out.push('s=-')
    else if (type === 'a') {
      if (keepAttribute(line)) out.push(line)
    } else if (type && KEPT_LINES.has(type)) out.push(line)
    // i=, u=, e=, p=, k= and anything unknown: dropped.
  }
  return out.join('\r\n') + '\r\n'
}

/** The body without its origin line, to tell whether an SDP changed. */
const withoutOrigin = (sdp: string) => sdp.replace(/^o=.*$/m, '')

/**
 * What one party is shown, across the call: the same origin session id every time, the version
 * raised only when the cleaned SDP differs from the last one it was sent.
 */
export class SdpPresenter {
  private readonly sessionId: string
  private version = 0
  private lastBody: string | undefined
  /** The last SDP this party was sent (for a re-INVITE without an offer). */
  last: string | undefined

  constructor(sessionId?: string) {
    // A random 10-digit id (NTP-style numbers are conventional, any numeric string is valid).
    this.sessionId = sessionId ?? String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999))
  }

  present(sdp: string): string {
    const body = withoutOrigin(cleanSdp(sdp, { sessionId: this.sessionId, version: 0 }))
    if (this.lastBody !== undefined && body !== this.lastBody) this.version++
    this.lastBody = body
    this.last = cleanSdp(sdp, { sessionId: this.sessionId, version: this.version })
    return this.last
  }
}
