/**
 * SIP_OUTBOUND_TRUNK: where every outgoing leg goes (`host[:port][;transport=udp|tcp|tls]`). The
 * number to ring becomes the user part of the Request-URI, in E.164 with its `+`.
 */
export interface Trunk {
  host: string
  port?: number
  transport?: 'udp' | 'tcp' | 'tls'
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/

export function parseTrunk(text: string): Trunk {
  const fail = () => new Error('must be host[:port][;transport=udp|tcp|tls]')
  const [hostPort, ...params] = text.trim().split(';')
  if (!hostPort) throw fail()
  let transport: Trunk['transport']
  for (const p of params) {
    const m = /^transport=(udp|tcp|tls)$/i.exec(p.trim())
    if (!m) throw fail()
    transport = m[1]!.toLowerCase() as Trunk['transport']
  }
  let host = hostPort
  let port: number | undefined
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostPort)
  if (!m) throw fail()
  host = m[1]!
  if (m[2] !== undefined) {
    port = Number(m[2])
    if (port < 1 || port > 65535) throw fail()
  }
  if (!HOSTNAME.test(host) && !IPV6.test(host)) throw fail()
  return { host, ...(port ? { port } : {}), ...(transport ? { transport } : {}) }
}

export function trunkUri(trunk: Trunk, number: string): string {
  return `sip:${number}@${trunk.host}${trunk.port ? `:${trunk.port}` : ''}${trunk.transport ? `;transport=${trunk.transport}` : ''}`
}
