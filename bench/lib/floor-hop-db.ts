/**
 * Floor (b), back half: a NATS responder (queue group) doing one indexed PostgreSQL select
 * through Bun SQL, with the same pool size as the services (10). It runs the same query as
 * identity's key list (`api_keys_tenant_idx`), so (b) vs (c) isolates the platform's own code.
 *
 * Env: NATS_URL, DATABASE_URL, BUS_PREFIX.
 */
import { connect } from '@nats-io/transport-node'
import { SQL } from 'bun'

const sql = new SQL({ url: process.env.DATABASE_URL!, max: 10 })
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'bench-hop-db' })
const subject = `${process.env.BUS_PREFIX ?? 'bench'}.bench.hop`
const dec = new TextDecoder()
const enc = new TextEncoder()

nc.subscribe(subject, {
  queue: 'bench.hop',
  callback: (err, m) => {
    if (err) return
    const tenantId = dec.decode(m.data)
    sql`select * from identity.api_keys where tenant_id = ${tenantId} order by id desc`.then(
      (rows) => m.respond(enc.encode(JSON.stringify({ items: rows }))),
      // An empty reply tells the front half to answer 500, so wrk counts it as an error.
      () => m.respond(new Uint8Array(0)),
    )
  },
})
await nc.flush()
process.stdout.write(`READY ${JSON.stringify({ port: 0 })}\n`)
process.on('SIGTERM', () => {
  void nc
    .drain()
    .then(() => sql.close({ timeout: 2 }))
    .then(() => process.exit(0))
})
