/**
 * Hand-written SIP over UDP for what SIPp cannot send: requests from a second address inside
 * someone else's dialog (an attacker who learnt its ids), and folded headers (SIPp strips the
 * leading whitespace that folding needs). Each socket is closed by the test that opened it.
 */
import { createSocket, type Socket } from 'node:dgram'

export interface RawSip {
  port: number
  address: string
  send(text: string, toPort: number): void
  /** The next message whose first line matches `re`, or an error after `timeoutMs`. */
  next(re: RegExp, timeoutMs?: number): Promise<string>
  /** Every message received so far. */
  readonly received: string[]
  close(): void
}

export async function rawSip(address = '127.0.0.1'): Promise<RawSip> {
  const sock: Socket = createSocket('udp4')
  const received: string[] = []
  const waiters: { re: RegExp; resolve(m: string): void }[] = []
  sock.on('message', (buf) => {
    const text = buf.toString('utf8')
    received.push(text)
    const i = waiters.findIndex((w) => w.re.test(text.split('\r\n')[0]!))
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(text)
  })
  await new Promise<void>((r) => sock.bind(0, address, () => r()))
  const port = sock.address().port
  return {
    port,
    address,
    received,
    send(text, toPort) {
      sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), toPort, '127.0.0.1')
    },
    next(re, timeoutMs = 5000) {
      const seen = received.find((m) => re.test(m.split('\r\n')[0]!))
      if (seen) {
        received.splice(received.indexOf(seen), 1)
        return Promise.resolve(seen)
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms; got: ${received.map((m) => m.split('\r\n')[0]).join(' | ')}`)), timeoutMs)
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(t)
            received.splice(received.indexOf(m), 1)
            resolve(m)
          },
        })
      })
    },
    close: () => sock.close(),
  }
}

/** A header's value in a SIP message (first occurrence). */
export function headerOf(msg: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg)
  return m?.[1]?.trim()
}

export const sdpFor = (ip: string, port: number) =>
  ['v=0', `o=x 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n')

/** A SIP request with a correct Content-Length. */
export function request(first: string, headers: string[], body = ''): string {
  return `${first}\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}
