/**
 * Issue 15 benchmark: how each cost grows with the data. The platform runs as separate processes
 * (identity, did, sessions, call-control without SIP, gateway) on real NATS and PostgreSQL; the
 * data is seeded with SQL straight into each service's tables, and every figure is measured
 * through the API (HTTP through the gateway, `sessions.route` over NATS as call-control asks it):
 *
 *   A  a tenant's pool: 100 → 100,000 numbers (no open session): create p50/p99; memory per number
 *   B  open sessions on the 100,000-number pool: 0 → 100,000 (the last step leaves 100 free),
 *      sessions restarted after each seeding (seeded rows bypass its read models, as a restart's
 *      would): create and route p50/p99; memory per open session (the route index holding them)
 *   C  1,000,000 session rows of one tenant: list first pages (each filter), a page 100,000 deep
 *      by offset and by cursor, beside a tenant with 1,000 rows; create beside a tenant with none
 *   D  2,000,000 call records of one tenant: the same for GET /v1/calls
 *   E  100,000 callback deliveries due at once: how fast call-control drains them
 *   F  key verification (gateway with its key cache off): 10 keys vs 1,000,000 in the table
 *
 * Open loop (bench/lib/fixed-rate.ts, its own process; latency from each request's due time).
 * Sizes are measured side by side in one run, smallest and largest alternating, BENCH_ROUNDS
 * rounds; medians quoted. Knobs: BENCH_ROUNDS (2), BENCH_SCALE (1: multiplies every size; 0.1
 * for a quick try), BENCH_OUT (JSON).
 */
import { readFileSync } from 'node:fs'
import { SQL } from 'bun'
import { launch, type Launched } from '../infra/launch'
import { connectBus } from '../shared/bus/connect'
import { sessions as sessionsContract } from '../shared/contracts/sessions'
import { encodeCursor } from '../shared/list-page'
import { runBusLoad, type BusLoadResult } from './lib/bus-load'
import { waitForQuiet } from './lib/cpu'
import { runFixedRate, type FixedRateResult } from './lib/fixed-rate'
import { startBenchPlatform, type BenchPlatform } from './lib/platform'
import { stopAllOnInterrupt } from './lib/proc'
import { fmt, median, percentile, sorted, table } from './lib/stats'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
/** Which parts to run (BENCH_PARTS, default all): A,B,C,E,F (D runs with C). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'A,B,C,E,F').split(',').map((x) => x.trim()))
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const n = (x: number) => Math.max(10, Math.round(x * SCALE))

const began = performance.now()
const log = (m: string) => process.stderr.write(`[bench scale +${((performance.now() - began) / 1000).toFixed(0)}s] ${m}\n`)

interface Measured {
  p50Ms: number
  p99Ms: number
  errors: number
  sent: number
  rounds: number[]
}
const results: Record<string, Measured> = {}
const notes: Record<string, string | number> = {}

/** The sessions process's resident memory, MiB (VmRSS). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

export async function run(): Promise<void> {
  const stops: (() => Promise<void>)[] = []
  const unhook = stopAllOnInterrupt(stops)
  let p: BenchPlatform | undefined
  let sql: SQL | undefined
  let keyless: Launched | undefined
  let receiver: ReturnType<typeof Bun.serve> | undefined
  try {
    log('launching identity, did, sessions, call-control, gateway on a fresh database')
    p = await startBenchPlatform({
      services: ['identity', 'did', 'sessions', 'call-control', 'gateway'],
      tenantRateLimit: 10_000,
      logLevel: 'warn',
      extraEnv: { CALLBACK_ALLOW_PRIVATE: 'true' },
    })
    stops.push(p.stop)
    const platform = p
    const db = (sql = new SQL({ url: p.databaseUrl, max: 4 }))
    let sessionsPid = p.launched.byName('sessions')[0]!.proc.pid
    // A second gateway that verifies every request (no key cache), for F.
    keyless = await launch({ env: { ...p.env, KEY_CACHE_TTL_MS: '0' }, services: ['gateway'], ports: 'free' })
    stops.push(() => keyless!.stop())
    const keylessUrl = keyless.gatewayUrls[0]!

    const admin = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${platform.gatewayUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`)
      return r.json() as Promise<any>
    }
    const tenant = async (name: string) => {
      const t = await admin('POST', '/admin/v1/tenants', { name, rate_limit_per_second: 10_000 })
      return { id: t.tenant.id as string, key: t.api_key.api_key as string }
    }
    let area = 301
    /** `count` numbers in the pool, actively assigned to the tenant (SQL into did's tables). */
    const seedPool = async (tenantId: string, count: number): Promise<string> => {
      const code = String(area++)
      await db.unsafe(
        `insert into did.dids (id, e164, country) select 'did_00' || $1 || lpad(i::text, 8, '0'), '+1' || $1 || (2000000 + i)::text, 'US' from generate_series(0, $2 - 1) i`,
        [code, count],
      )
      await db.unsafe(
        `insert into did.did_assignments (id, did_id, tenant_id, status) select 'asg_00' || $1 || lpad(i::text, 8, '0'), 'did_00' || $1 || lpad(i::text, 8, '0'), $3, 'active' from generate_series(0, $2 - 1) i`,
        [code, count, tenantId],
      )
      return code
    }
    /**
     * Session rows of a tenant on its pool (`code`): `open` open ones, each on its own number (from
     * number `firstOpen` on), and `ended` ended ones spread over the pool. Ids sort before every
     * real one (`ses_00…`; real ids begin `ses_01`), in creation order.
     */
    const seedSessions = async (tenantId: string, code: string, poolSize: number, o: { open: number; firstOpen?: number; ended: number; tag: string }) => {
      const chunk = 200_000
      for (let s = 0; s < o.ended; s += chunk) {
        await db.unsafe(
          `insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at, ended_at, end_reason)
           select 'ses_00' || $1 || 'e' || lpad(i::text, 9, '0'), $2, 'ord-' || (i % 50000), '+14155550001', '+14155550002',
                  '+1' || $3 || (2000000 + i % $4)::text, true,
                  case when i % 10 = 0 then 'expired' else 'completed' end, 60,
                  now() - interval '30 days' + i * interval '1 second', now() - interval '29 days' + i * interval '1 second',
                  now() - interval '30 days' + (i + 1) * interval '1 second', case when i % 10 = 0 then 'expired' else 'completed' end
           from generate_series($5::int, $6::int - 1) i`,
          [o.tag, tenantId, code, poolSize, s, Math.min(o.ended, s + chunk)],
        )
      }
      if (o.open > 0) {
        const first = o.firstOpen ?? 0
        await db.unsafe(
          `with s as (
             insert into sessions.sessions (id, tenant_id, order_id, driver_phone, customer_phone, masked_e164, exclusive, status, ttl_minutes, created_at, expires_at)
             select 'ses_00' || $1 || 'o' || lpad(i::text, 9, '0'), $2, null, '+1415' || (3000000 + i)::text, '+1415' || (6000000 + i)::text,
                    '+1' || $3 || (2000000 + i)::text, true, 'open', 10080, now() - interval '1 day', now() + interval '6 days'
             from generate_series($4::int, $5::int - 1) i
             -- a number still held by a benchmark create that outlived its client's timeout is skipped
             on conflict do nothing
             returning id, tenant_id, masked_e164, driver_phone, customer_phone, expires_at)
           insert into sessions.session_parties (session_id, tenant_id, masked_e164, phone, expires_at)
           select id, tenant_id, masked_e164, driver_phone, expires_at from s union all select id, tenant_id, masked_e164, customer_phone, expires_at from s`,
          [o.tag, tenantId, code, first, first + o.open],
        )
      }
    }
    const vacuum = () => db.unsafe('vacuum analyze sessions.sessions, sessions.session_parties, calls.calls, calls.callback_deliveries, did.dids, did.did_assignments, identity.api_keys')
    /** Ends the sessions the benchmark created through the API (the seeded ones stay as they are). */
    const reset = async () => {
      await db.unsafe(`with e as (
          update sessions.sessions set status = 'completed', ended_at = now(), end_reason = 'completed'
          where status = 'open' and id >= 'ses_01' returning id)
        delete from sessions.session_parties where session_id in (select id from e)`)
      await db.unsafe('vacuum analyze sessions.sessions, sessions.session_parties')
    }

    const fixed = async (label: string, url: string, opts: { key: string; method?: string; body?: unknown; rate: number; seconds: number }): Promise<FixedRateResult> => {
      await waitForQuiet({ maxWaitMs: 5000 })
      const r = await runFixedRate({
        url,
        ratePerSecond: opts.rate,
        durationS: opts.seconds,
        warmupS: 0.5,
        method: opts.method ?? 'GET',
        headers: { 'x-api-key': opts.key, 'content-type': 'application/json' },
        ...(opts.body ? { body: JSON.stringify(opts.body) } : {}),
      })
      const m = (results[label] ??= { p50Ms: 0, p99Ms: 0, errors: 0, sent: 0, rounds: [] })
      m.rounds.push(r.p99Ms)
      ;(m as Measured & { p50s?: number[] }).p50s = [...((m as Measured & { p50s?: number[] }).p50s ?? []), r.p50Ms]
      m.p50Ms = median((m as Measured & { p50s?: number[] }).p50s!)
      m.p99Ms = median(m.rounds)
      m.errors += r.errors
      m.sent += r.scheduled
      log(`${label}: p50 ${fmt(r.p50Ms)} p99 ${fmt(r.p99Ms)} ms, ${r.errors}/${r.scheduled} errors${r.errors ? ` ${JSON.stringify(r.failures)}` : ''}`)
      return r
    }
    const route = async (label: string, to: string, from: string) => {
      await waitForQuiet({ maxWaitMs: 5000 })
      const r: BusLoadResult = await runBusLoad({ natsUrl: platform.env.NATS_URL!, prefix: platform.env.BUS_PREFIX!, subject: 'route', payload: { to, from }, ratePerSecond: 500, durationS: 3, warmupS: 0.5, expectAction: 'bridge' })
      const m = (results[label] ??= { p50Ms: 0, p99Ms: 0, errors: 0, sent: 0, rounds: [] })
      m.rounds.push(r.p99Ms)
      const p50s = ((m as Measured & { p50s?: number[] }).p50s = [...((m as Measured & { p50s?: number[] }).p50s ?? []), r.p50Ms])
      m.p50Ms = median(p50s)
      m.p99Ms = median(m.rounds)
      m.errors += r.errors
      m.sent += r.requests
      log(`${label}: p50 ${fmt(r.p50Ms)} p99 ${fmt(r.p99Ms)} ms, ${r.errors} errors`)
    }
    const CREATE = { rate: 25, seconds: 3 } // 75 creates per run: the 100-number pool holds them
    const createBody = { driver_phone: '+14155550101', customer_phone: '+14155550102', ttl_minutes: 30 }

    /**
     * The first create of a tenant on a (re)started sessions instance loads the tenant's numbers
     * (did.tenant.numbers, paged) and their last use, and ranks them; on a big pool that outlasts
     * the bus timeout (503) and goes on for the next try. Records how long until the first 200.
     */
    const firstCreate = async (label: string, key: string) => {
      const t0 = performance.now()
      let attempts = 0
      for (; attempts < 120; attempts++) {
        const r = await fetch(`${platform.gatewayUrl}/v1/sessions`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(createBody) })
        if (r.status === 200) break
        const text = await r.text()
        if (r.status !== 503) {
          // Keep going (the figure is how long until it works), but say what the service said.
          const lines = platform.launched.byName('sessions').flatMap((x) => x.lines.slice(-15))
          log(`first create, ${label}: ${r.status} ${text.slice(0, 200)}\n${lines.join('\n')}`)
          notes[`… non-503 failures before it, ${label}`] = Number(notes[`… non-503 failures before it, ${label}`] ?? 0) + 1
        }
        await Bun.sleep(250)
      }
      if (attempts === 120) throw new Error(`no create succeeded, ${label}`)
      notes[`first create, ${label} (cold), ms`] = performance.now() - t0
      notes[`… 503s before it, ${label}`] = attempts
    }
    /** A fresh sessions process (what a restart or a new replica goes through): its read models start empty. */
    const restartSessions = async () => {
      const old = platform.launched.byName('sessions').find((x) => x.proc.exitCode === null)!
      old.proc.kill('SIGTERM')
      await old.exited
      const fresh = await platform.launched.start('sessions')
      sessionsPid = fresh.proc.pid
    }
    if (PARTS.has('A') || PARTS.has('B')) {
    // --- A: pool size -----------------------------------------------------------------------------
    const pools = [100, 1_000, 10_000, 100_000].map(n)
    const poolTenants: { size: number; id: string; key: string; code: string }[] = []
    for (const size of pools) {
      const t = await tenant(`pool-${size}`)
      poolTenants.push({ size, ...t, code: await seedPool(t.id, size) })
    }
    await vacuum()
    log(`A: seeded pools ${pools.join(', ')}`)
    for (const t of poolTenants) {
      const before = rssMiB(sessionsPid)
      await firstCreate(`pool ${t.size}`, t.key)
      await Bun.sleep(500)
      notes[`rss after loading pool ${t.size}`] = rssMiB(sessionsPid)
      notes[`rss delta pool ${t.size}`] = rssMiB(sessionsPid) - before
      await reset()
    }
    const order = (xs: typeof poolTenants, round: number) => (round % 2 ? [...xs].reverse() : xs)
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of order(poolTenants, round)) {
        await fixed(`A create, pool ${t.size}`, `${platform.gatewayUrl}/v1/sessions`, { key: t.key, method: 'POST', body: createBody, ...CREATE })
        await reset()
      }
    }

    // --- B: open sessions on the largest pool -----------------------------------------------------
    const big = poolTenants.at(-1)!
    // The last step leaves 0.1 % of the pool free (100 of 100,000).
    const steps = [0, n(10_000), n(50_000), big.size - Math.max(CREATE.rate * CREATE.seconds + 5, Math.round(big.size / 1000))]
    let seededOpen = 0
    const routeTarget = { to: '', from: '' }
    for (const target of steps) {
      if (target > seededOpen) {
        await Bun.sleep(2500) // creates that outlived their client's timeout finish first
        await reset()
        await seedSessions(big.id, big.code, big.size, { open: target - seededOpen, firstOpen: seededOpen, ended: 0, tag: `b${target}` })
        seededOpen = target
        await vacuum()
        log(`B: ${seededOpen} open sessions on the ${big.size}-number pool; restarting sessions (its read models learn them from the database, as after any restart)`)
        await restartSessions()
        await firstCreate(`${big.size}-number pool, ${seededOpen} open`, big.key)
        await reset()
      }
      if (seededOpen > 0) {
        // A seeded session in the middle of the open range: the number is '+1<code><2000000+i>'.
        const i = Math.floor(seededOpen / 2)
        Object.assign(routeTarget, { to: `+1${big.code}${2_000_000 + i}`, from: `+1415${3_000_000 + i}` })
      }
      for (let round = 0; round < ROUNDS; round++) {
        await fixed(`B create, ${seededOpen} open`, `${platform.gatewayUrl}/v1/sessions`, { key: big.key, method: 'POST', body: createBody, ...CREATE })
        await reset()
        if (seededOpen > 0) await route(`B route, ${seededOpen} open`, routeTarget.to, routeTarget.from)
      }
    }
    // Every open session routed once: the route index then holds them all (memory per open session),
    // and the misses show the database path's cost at this size.
    {
      const bus = await connectBus({ natsUrl: platform.env.NATS_URL!, prefix: platform.env.BUS_PREFIX!, service: 'bench-scale' })
      const before = rssMiB(sessionsPid)
      const lat: number[] = []
      let next = 0
      let errors = 0
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < seededOpen) {
            const i = next++
            const s = performance.now()
            try {
              const d = await bus.request(sessionsContract.route, { to: `+1${big.code}${2_000_000 + i}`, from: `+1415${3_000_000 + i}` })
              if (d.action !== 'bridge') errors++
            } catch {
              errors++
            }
            lat.push(performance.now() - s)
          }
        }),
      )
      const wall = (performance.now() - t0) / 1000
      await Bun.sleep(1000)
      const after = rssMiB(sessionsPid)
      const s = sorted(lat)
      notes['route every open session once (32 in flight): routes'] = seededOpen
      notes['… p50 ms'] = percentile(s, 50)
      notes['… p99 ms'] = percentile(s, 99)
      notes['… errors'] = errors
      notes['… rate /s'] = Math.round(seededOpen / wall)
      notes['rss before routing every open session'] = before
      notes['rss after'] = after
      log(`B: routed ${seededOpen} sessions once in ${fmt(wall)} s (p99 ${fmt(percentile(s, 99))} ms, ${errors} errors); sessions RSS ${fmt(before)} → ${fmt(after)} MiB`)
      await bus.drain()
    }
    notes['rss delta after routing (MiB)'] = Number(notes['rss after']) - Number(notes['rss before routing every open session'])

    }

    // --- C, D: a million session rows and two million call records ----------------------------------
    // (seeded only when a part that needs them runs: minutes of seeding otherwise wasted)
    if (!PARTS.has('C') && !PARTS.has('E') && !PARTS.has('F')) {
      report()
      return
    }
    const small = await tenant('rows-small')
    const smallCode = await seedPool(small.id, 1000)
    const large = await tenant('rows-large')
    const largeCode = await seedPool(large.id, 1000)
    // Without C (lists), only what E needs: a call per due delivery.
    const SESSION_ROWS = PARTS.has('C') ? n(1_000_000) : 1000
    const CALL_ROWS = PARTS.has('C') ? n(2_000_000) : n(100_000)
    log(`C: seeding ${SESSION_ROWS} session rows (and 1,000 for the small tenant)`)
    await seedSessions(small.id, smallCode, 1000, { open: 100, ended: 900, tag: 'cs' })
    await seedSessions(large.id, largeCode, 1000, { open: 100, ended: SESSION_ROWS - 100, tag: 'cl' })
    log(`D: seeding ${CALL_ROWS} call records (and 1,000 for the small tenant)`)
    const seedCalls = async (tenantId: string, count: number, tag: string, code: string) => {
      for (let s = 0; s < count; s += 500_000) {
        await db.unsafe(
          `insert into calls.calls (id, tenant_id, session_id, direction, status, from_party, to_party, from_phone, to_phone, masked_e164, created_at, ended_at, duration_seconds)
           select 'call_00' || $1 || lpad(i::text, 9, '0'), $2, 'ses_00' || $1 || 'e' || lpad((i / 4)::text, 9, '0'), 'inbound',
                  (array['completed','completed','completed','completed','completed','completed','completed','completed','completed','completed',
                         'completed','completed','completed','completed','completed','completed','busy','no_answer','failed','canceled'])[1 + i % 20],
                  'driver', 'customer', '+14155550001', '+14155550002', '+1' || $5 || '2000001',
                  now() - interval '30 days' + i * interval '1 second', now() - interval '30 days' + i * interval '1 second' + interval '1 minute', 60
           from generate_series($3::int, $4::int - 1) i`,
          [tag, tenantId, s, Math.min(count, s + 500_000), code],
        )
      }
    }
    await seedCalls(small.id, 1000, 's', smallCode)
    await seedCalls(large.id, CALL_ROWS, 'l', largeCode)
    await vacuum()
    const depth = Math.min(100_000, SESSION_ROWS / 10)
    const [sAt] = await db.unsafe(`select id from sessions.sessions where tenant_id = $1 order by id desc offset $2 limit 1`, [large.id, depth - 1])
    const [cAt] = await db.unsafe(`select id from calls.calls where tenant_id = $1 order by id desc offset $2 limit 1`, [large.id, depth - 1])
    const LIST = { rate: 50, seconds: 3 }
    if (PARTS.has('C')) {
    const gw = platform.gatewayUrl
    for (let round = 0; round < ROUNDS; round++) {
      for (const [who, t] of (round % 2 ? [['1M', large], ['1k', small]] : [['1k', small], ['1M', large]]) as [string, typeof small][]) {
        const rows = who === '1M' ? `${SESSION_ROWS} rows` : '1,000 rows'
        await fixed(`C list sessions, ${rows}`, `${gw}/v1/sessions?limit=50`, { key: t.key, ...LIST })
        await fixed(`C list sessions status=open, ${rows}`, `${gw}/v1/sessions?limit=50&status=open`, { key: t.key, ...LIST })
        await fixed(`C list sessions status=expired, ${rows}`, `${gw}/v1/sessions?limit=50&status=expired`, { key: t.key, ...LIST })
        await fixed(`C list sessions order_id, ${rows}`, `${gw}/v1/sessions?limit=50&order_id=ord-7`, { key: t.key, ...LIST })
        const callRows = who === '1M' ? `${CALL_ROWS} calls` : '1,000 calls'
        await fixed(`D list calls, ${callRows}`, `${gw}/v1/calls?limit=50`, { key: t.key, ...LIST })
        await fixed(`D list calls status=busy, ${callRows}`, `${gw}/v1/calls?limit=50&status=busy`, { key: t.key, ...LIST })
        await fixed(`D list calls session_id, ${callRows}`, `${gw}/v1/calls?limit=50&session_id=ses_00${who === '1M' ? 'l' : 's'}e000000100`, { key: t.key, ...LIST })
        await fixed(`C create, ${rows}`, `${gw}/v1/sessions`, { key: t.key, method: 'POST', body: createBody, ...CREATE })
        await reset()
      }
      await fixed(`C list sessions ${depth} deep by offset, ${SESSION_ROWS} rows`, `${gw}/v1/sessions?limit=50&offset=${depth}`, { key: large.key, rate: 5, seconds: 3 })
      await fixed(`C list sessions ${depth} deep by cursor, ${SESSION_ROWS} rows`, `${gw}/v1/sessions?limit=50&cursor=${encodeCursor(sAt!.id)}`, { key: large.key, ...LIST })
      await fixed(`D list calls ${depth} deep by offset, ${CALL_ROWS} calls`, `${gw}/v1/calls?limit=50&offset=${depth}`, { key: large.key, rate: 5, seconds: 3 })
      await fixed(`D list calls ${depth} deep by cursor, ${CALL_ROWS} calls`, `${gw}/v1/calls?limit=50&cursor=${encodeCursor(cAt!.id)}`, { key: large.key, ...LIST })
    }
    }

    if (PARTS.has('E')) {
    // --- E: a callback backlog ----------------------------------------------------------------------
    const BACKLOG = n(100_000)
    let received = 0
    receiver = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(req) {
        await req.arrayBuffer()
        received++
        return new Response('ok')
      },
    })
    const hook = `http://127.0.0.1:${receiver.port}/hook`
    log(`E: seeding ${BACKLOG} due callback deliveries (one per call)`)
    await db.unsafe(
      `insert into calls.callback_deliveries (id, call_id, tenant_id, sequence, event, event_id, url, body, status, next_attempt_at)
       select 'cbd_00' || lpad(i::text, 9, '0'), 'call_00l' || lpad(i::text, 9, '0'), $1, 1, 'completed', 'evt_00' || lpad(i::text, 9, '0'), $2,
              '{"event":"completed","call_id":"' || 'call_00l' || lpad(i::text, 9, '0') || '"}', 'pending', now() + interval '1 hour'
       from generate_series(0, $3 - 1) i`,
      [large.id, hook, BACKLOG],
    )
    await db.unsafe('vacuum analyze calls.callback_deliveries')
    const drainStart = performance.now()
    await db.unsafe(`update calls.callback_deliveries set next_attempt_at = now() where status = 'pending'`)
    const marks: { s: number; delivered: number }[] = []
    for (;;) {
      await Bun.sleep(2000)
      const [row] = await db.unsafe(`select count(*) filter (where status = 'delivered')::int as d, count(*) filter (where status = 'pending')::int as p from calls.callback_deliveries`)
      marks.push({ s: (performance.now() - drainStart) / 1000, delivered: row.d })
      log(`E: ${row.d} delivered, ${row.p} pending after ${fmt(marks.at(-1)!.s)} s`)
      if (row.p === 0 || marks.at(-1)!.s > 240) break
    }
    const last = marks.at(-1)!
    notes['E backlog'] = BACKLOG
    notes['E delivered'] = last.delivered
    notes['E seconds'] = last.s
    notes['E received by the receiver'] = received
    notes['E rate /s'] = last.delivered / last.s
    const mid = marks.filter((m) => m.delivered > BACKLOG * 0.1 && m.delivered < BACKLOG * 0.9)
    notes['E steady rate /s (10–90 %)'] = mid.length >= 2 ? (mid.at(-1)!.delivered - mid[0]!.delivered) / (mid.at(-1)!.s - mid[0]!.s) : Number.NaN

    }
    if (PARTS.has('F')) {
    // --- F: key verification --------------------------------------------------------------------------
    const KEYS = n(1_000_000)
    const verify = (rows: string) => fixed(`F key verification (GET /v1/api-keys, no key cache), ${rows}`, `${keylessUrl}/v1/api-keys`, { key: small.key, rate: 100, seconds: 3 })
    for (let round = 0; round < ROUNDS; round++) await verify('~10 keys')
    log(`F: seeding ${KEYS} API keys of another tenant`)
    const other = await tenant('keys-many')
    await db.unsafe(
      `insert into identity.api_keys (id, tenant_id, label, key_hash, key_prefix, scopes)
       select 'key_00' || lpad(i::text, 9, '0'), $1, null, md5(i::text) || md5((i + 1)::text), 'msk_live_seed' || (i % 100), array['sessions:read']
       from generate_series(0, $2 - 1) i`,
      [other.id, KEYS],
    )
    await db.unsafe('vacuum analyze identity.api_keys')
    for (let round = 0; round < ROUNDS; round++) await verify(`${KEYS} keys`)

    }
    report()
  } finally {
    receiver?.stop(true)
    await sql?.close()
    await keyless?.stop()
    await p?.stop()
    unhook()
    log('stopped every process and dropped the database')
  }
}

function report(): void {
  const out: string[] = []
  out.push(`## Scale benchmark (${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores shared, Bun ${Bun.version}, BENCH_SCALE ${SCALE}, ${ROUNDS} rounds)`)
  out.push('')
  out.push(
    table(
      ['measurement', 'p50 ms', 'p99 ms (median of rounds)', 'p99 per round', 'errors / sent'],
      Object.entries(results).map(([k, m]) => [k, fmt(m.p50Ms), fmt(m.p99Ms), m.rounds.map(fmt).join(' / '), `${m.errors} / ${m.sent}`]),
    ),
  )
  out.push('')
  out.push(table(['note', 'value'], Object.entries(notes).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : v])))
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.env.BENCH_OUT) void Bun.write(process.env.BENCH_OUT, JSON.stringify({ results, notes }, null, 2))
}

if (import.meta.main) await run()
