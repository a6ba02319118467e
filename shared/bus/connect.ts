/** Picks the transport: NATS when `NATS_URL` is set, else the in-process broker (all-in-one). */
import type { Logger } from '../log'
import { Bus } from './bus'
import { InProcessTransport } from './in-process-transport'
import { NatsTransport } from './nats-transport'

/** How a service proves who it is to NATS (NATS_USER/NATS_PASSWORD or NATS_CREDS_FILE) and TLS. */
export interface NatsAuth {
  user?: string
  password?: string
  credsFile?: string
  tlsCaFile?: string
  tlsCertFile?: string
  tlsKeyFile?: string
}

/** A user's own reply prefix (infra/nats/permissions.ts grants `_INBOX_<user>.>`). */
export const inboxPrefix = (user: string) => `_INBOX_${user.replace(/[^A-Za-z0-9_-]/g, '_')}`

export async function connectBus(opts: {
  natsUrl?: string
  prefix: string
  service: string
  timeoutMs?: number
  log?: Logger
  auth?: NatsAuth
}): Promise<Bus> {
  const a = opts.auth ?? {}
  const tls = a.tlsCaFile || a.tlsCertFile ? { caFile: a.tlsCaFile, certFile: a.tlsCertFile, keyFile: a.tlsKeyFile } : undefined
  const transport = opts.natsUrl
    ? await NatsTransport.connect({
        servers: opts.natsUrl,
        name: `masking-${opts.service}`,
        onStatus: (event, server) => opts.log?.warn({ event, server }, `nats ${event}`),
        user: a.user,
        pass: a.password,
        credsFile: a.credsFile,
        tls,
        // Replies to this user arrive under its own prefix, the only inbox its permissions let it read.
        inboxPrefix: a.user ? inboxPrefix(a.user) : undefined,
      })
    : new InProcessTransport()
  return new Bus(transport, opts)
}

export { Bus } from './bus'
export type { BusContext } from './bus'
