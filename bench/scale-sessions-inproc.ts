/**
 * Issue 15, part B in one process: the sessions service (with identity, did, gateway) on real
 * NATS and PostgreSQL, a pool of N numbers and N - FREE open sessions seeded with SQL as
 * bench/scale.ts does, then: the cold first create, a burst of creates, and a route of every
 * open session once. Reports per phase: wall time, the worst event-loop stall (what made
 * `sessions.health.ping` go unanswered), the allocator's statements, and the JS heap after a
 * full GC (bytes per number, bytes per open session in the route index).
 *
 *   SCALE_N=20000 bun bench/scale-sessions-inproc.ts
 */
import { heapStats } from 'bun:jsc'
import { sql } from 'drizzle-orm'
import { sessions as contract } from '../shared/contracts/sessions'
import { client, createTenant } from '../tests/support/http'
import { startFixture } from '../tests/support/sessions-platform'

const N = Number(process.env.SCALE_N ?? 20_000)
const FREE = Number(process.env.SCALE_FREE ?? Math.max(100, N / 1000))
const CREATES = Number(process.env.SCALE_CREATES ?? 75)
const ROUTES = Number(process.env.SCALE_ROUTES ?? Infinity)
const INFLIGHT = Number(process.env.SCALE_INFLIGHT ?? 8)
const log = (m: string) => process.stderr.write(`[inproc ${new Date().toISOString().slice(11, 19)}] ${m}\n`)

const heap = () => {
  Bun.gc(true)
  return heapStats().heapSize
}
/** Worst event-loop stall while `f` runs (a timer every 10 ms measures how late it fires). */
async function phase<T>(label: string, f: () => Promise<T>): Promise<T> {
  let worst = 0
  let last = performance.now()
  const t = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - 10)
    last = now
  }, 10)
  const t0 = performance.now()
  try {
    return await f()
  } finally {
    clearInterval(t)
    log(`${label}: ${(performance.now() - t0).toFixed(0)} ms, worst event-loop stall ${worst.toFixed(0)} ms`)
  }
}

const f = await startFixture({ LOG_LEVEL: 'warn' })
try {
  const db = f.tp.platform.database
  const t = await createTenant(f.http, f.admin, { rate_limit_per_second: 100_000 })
  await db.rows(sql.raw(`insert into did.dids (id, e164, country) select 'did_00' || lpad(i::text, 8, '0'), '+1301' || (2000000 + i)::text, 'US' from generate_series(0, ${N} - 1) i`))
  await db.rows(sql.raw(`insert into did.did_assignments (id, did_id, tenant_id, status) select 'asg_00' || lpad(i::text, 8, '0'), 'did_00' || lpad(i::text, 8, '0'), '${t.tenantId}', 'active' from generate_series(0, ${N} - 1) i`))
  const open = N - FREE
  await db.rows(sql.raw(`with s as (
      insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at)
      select 'ses_00o' || lpad(i::text, 9, '0'), '${t.tenantId}', null, '+1415' || (3000000 + i)::text, '+1415' || (6000000 + i)::text,
             '+1301' || (2000000 + i)::text, true, 'open', 10080, now() - interval '1 day', now() + interval '6 days'
      from generate_series(0, ${open} - 1) i
      returning id, tenant_id, masked_e164, driver_phone, customer_phone, expires_at)
    insert into sessions.session_parties (session_id, tenant_id, masked_e164, phone, expires_at)
    select id, tenant_id, masked_e164, driver_phone, expires_at from s union all select id, tenant_id, masked_e164, customer_phone, expires_at from s`))
  await db.rows(sql.raw('vacuum analyze sessions.sessions, sessions.session_parties, did.dids, did.did_assignments'))
  log(`seeded ${N} numbers, ${open} open sessions`)

  const life = f.sessions.lifecycle
  const store = (life as unknown as { store: Record<string, (...a: unknown[]) => Promise<unknown>> }).store
  const counts: Record<string, number> = {}
  for (const m of ['freeAmong', 'lastUsed', 'insertIfFree', 'routeCandidates']) {
    const orig = store[m]!.bind(store)
    store[m] = (...a: unknown[]) => ((counts[m] = (counts[m] ?? 0) + 1), orig(...a))
  }
  const http = client(f.tp.baseUrl)
  const body = (i: number) => ({ driver_phone: `+1415${8000000 + 2 * i}`, customer_phone: `+1415${8000000 + 2 * i + 1}`, ttl_minutes: 30 })
  const reset = () => db.rows(sql.raw(`with e as (update sessions.sessions set status = 'completed', ended_at = now(), end_reason = 'completed' where status = 'open' and id >= 'ses_01' returning id)
      delete from sessions.session_parties where session_id in (select id from e)`))

  const h0 = heap()
  log(`heap before the tenant is loaded: ${(h0 / 1e6).toFixed(1)} MB`)
  await phase('first create (cold: numbers, last use, ranking)', async () => {
    // On a big pool the cold load outlasts the bus timeout (503) and goes on: ask until it answers.
    for (let attempt = 0; ; attempt++) {
      const r = await http.post('/v1/sessions', { key: t.key, body: body(0) })
      if (r.status === 200 || attempt === 60) {
        log(`  first create: ${r.status} after ${attempt} answers 503 ${r.status === 200 ? '' : r.text.slice(0, 200)}`)
        break
      }
      if (r.status !== 503) log(`  first create: ${r.status} ${r.text.slice(0, 300)}`)
      await Bun.sleep(250)
    }
  })
  const h1 = heap()
  log(`heap after: ${(h1 / 1e6).toFixed(1)} MB: ${((h1 - h0) / N).toFixed(0)} bytes per number; statements ${JSON.stringify(counts)}`)
  await reset()

  for (let round = 0; round < 3; round++) {
    for (const k of Object.keys(counts)) counts[k] = 0
    const statuses: Record<number, number> = {}
    await phase(`round ${round}: ${CREATES} creates, ${INFLIGHT} in flight`, async () => {
      let next = 0
      await Promise.all(
        Array.from({ length: INFLIGHT }, async () => {
          while (next < CREATES) {
            const i = next++
            const r = await http.post('/v1/sessions', { key: t.key, body: body(1000 * (round + 1) + i) })
            statuses[r.status] = (statuses[r.status] ?? 0) + 1
          }
        }),
      )
    })
    log(`  statuses ${JSON.stringify(statuses)}; statements ${JSON.stringify(counts)}`)
    await reset()
  }

  const h2 = heap()
  for (const k of Object.keys(counts)) counts[k] = 0
  await phase(`route every open session once (${open}, 32 in flight)`, async () => {
    let next = 0
    let bad = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < Math.min(open, ROUTES)) {
          const i = next++
          const d = await f.tp.platform.bus.request(contract.route, { to: `+1301${2_000_000 + i}`, from: `+1415${3_000_000 + i}` })
          if (d.action !== 'bridge') bad++
        }
      }),
    )
    log(`  not bridged: ${bad}; statements ${JSON.stringify(counts)}`)
  })
  const h3 = heap()
  log(`route index ${f.sessions.index.size} keys; heap +${((h3 - h2) / 1e6).toFixed(1)} MB: ${((h3 - h2) / open).toFixed(0)} bytes per open session (one key routed per session)`)
  log(`rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`)
} finally {
  await f.tp.stop()
}
