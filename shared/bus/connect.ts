/** Picks the transport: NATS when `NATS_URL` is set, else the in-process broker (all-in-one). */
import type { Logger } from '../log'
import { Bus } from './bus'
import { InProcessTransport } from './in-process-transport'
import { NatsTransport } from './nats-transport'

export async function connectBus(opts: {
  natsUrl?: string
  prefix: string
  service: string
  timeoutMs?: number
  log?: Logger
}): Promise<Bus> {
  const transport = opts.natsUrl
    ? await NatsTransport.connect({
        servers: opts.natsUrl,
        name: `masking-${opts.service}`,
        onStatus: (event, server) => opts.log?.warn({ event, server }, `nats ${event}`),
      })
    : new InProcessTransport()
  return new Bus(transport, opts)
}

export { Bus } from './bus'
export type { BusContext } from './bus'
