/**
 * Floor (a): a bare Elysia route answering constant JSON, in its own process. Whatever the
 * platform does per request costs on top of this.
 */
import { Elysia } from 'elysia'

const app = new Elysia().get('/bare', () => ({ status: 'ok', service: 'bench-bare' })).listen({ port: 0, hostname: '127.0.0.1' })
process.stdout.write(`READY ${JSON.stringify({ port: app.server!.port })}\n`)
process.on('SIGTERM', () => {
  void app.stop().then(() => process.exit(0))
})
