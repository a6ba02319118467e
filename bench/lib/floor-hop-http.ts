/**
 * Floor (b), front half: an Elysia route making one NATS request and passing the reply through.
 * No auth, no rate limit, no validation, no envelope: the cost of the hop itself. The other half
 * (floor-hop-db.ts) runs in its own process and does one indexed select.
 *
 * Env: NATS_URL, BUS_PREFIX, HOP_TENANT_ID (sent as the request payload).
 */
import { connect } from '@nats-io/transport-node'
import { Elysia } from 'elysia'

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'bench-hop-http' })
const subject = `${process.env.BUS_PREFIX ?? 'bench'}.bench.hop`
const payload = new TextEncoder().encode(process.env.HOP_TENANT_ID ?? '')

const app = new Elysia()
  .get('/hop', async () => {
    const m = await nc.request(subject, payload, { timeout: 2000 })
    if (m.data.length === 0) return new Response('{"error":"select failed"}', { status: 500 })
    return new Response(m.data, { headers: { 'content-type': 'application/json' } })
  })
  .listen({ port: 0, hostname: '127.0.0.1' })
process.stdout.write(`READY ${JSON.stringify({ port: app.server!.port })}\n`)
process.on('SIGTERM', () => {
  void app
    .stop()
    .then(() => nc.drain())
    .then(() => process.exit(0))
})
