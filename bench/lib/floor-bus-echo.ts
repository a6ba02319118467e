/**
 * Floor for bus requests: a responder answering constant JSON through the same typed `Bus`
 * (queue group, schema checks, `{ok, data}` envelope) the services use. What `sessions.route`
 * costs above this is the sessions service's own work (read model and database).
 *
 * Env: NATS_URL, BUS_PREFIX.
 */
import { Type as T } from '@sinclair/typebox'
import { connectBus } from '../../shared/bus/connect'
import { request } from '../../shared/contracts/define'

export const benchEcho = request('bench.echo', T.Object({ to: T.String(), from: T.String() }), T.Object({ action: T.String(), reason: T.String() }))

if (import.meta.main) {
  const bus = await connectBus({ natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix: process.env.BUS_PREFIX ?? 'bench', service: 'bench-echo' })
  bus.serve(benchEcho, async () => ({ action: 'refuse', reason: 'no_session' }))
  process.stdout.write(`READY ${JSON.stringify({ port: 0 })}\n`)
  process.on('SIGTERM', () => {
    void bus.drain().then(() => process.exit(0))
  })
}
