/**
 * Issue 4 benchmark: sessions through the gateway (identity, did, sessions and gateway as separate
 * processes on real NATS and PostgreSQL, a fresh database), beside floors measured in the same run
 * with the same generators:
 *   HTTP  – (a) a bare Elysia route answering constant JSON (its own process),
 *           (b) POST /v1/sessions (create: auth, rate limit, validation, bus, allocation, insert),
 *           (c) GET /v1/sessions/{id} (lookup);
 *   bus   – (d) a constant-JSON responder behind the same typed Bus over NATS,
 *           (e) `sessions.route`, as call control asks it (read model + one round of queries).
 *
 * The tenant holds BENCH_POOL numbers (exclusive mode: each create takes one); between runs the
 * open sessions are ended straight in the database so every run starts with the whole pool free.
 *
 * Closed loop at rising concurrency (throughput, p50/p99), then open loop at fixed rates (latency
 * from each request's due time, so stalls count). Rounds are interleaved and medians quoted.
 *
 * Knobs (env): BENCH_ROUNDS (3), BENCH_CONCURRENCY ("1,4,16,64"), BENCH_DURATION_S (3),
 * BENCH_RATES ("250,500,750"), BENCH_FIXED_DURATION_S (6), BENCH_POOL (8000), BENCH_PARTS ("closed,fixed,bus"),
 * BENCH_QUIET_WAIT_MS (8000: how long each run may wait for the shared machine to go quiet), BENCH_OUT (JSON).
 */
import { join } from 'node:path'
import { SQL } from 'bun'
import { PG_ADMIN_URL } from '../tests/support/infra'
import { runBusLoad, type BusLoadResult } from './lib/bus-load'
import { runClosedLoop, type ClosedLoopResult } from './lib/closed-loop'
import { cpuSince, pidsByComm, sampleCpu, waitForQuiet, type CpuUsage, type PidGroups } from './lib/cpu'
import { runFixedRate, type FixedRateResult } from './lib/fixed-rate'
import { startBenchPlatform, type BenchPlatform } from './lib/platform'
import { spawnReady, stopAllOnInterrupt, type BenchProcess } from './lib/proc'
import { fmt, median, table } from './lib/stats'

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`)
  return v
}
const list = (name: string, dflt: string) => (process.env[name] ?? dflt).split(',').map((x) => Number(x.trim()))

interface HttpTarget {
  id: 'a' | 'b' | 'c'
  name: string
  url: string
  method: string
  headers: Record<string, string>
  body?: string
  /** Uses up numbers: the pool is reset after each run. */
  creates: boolean
}

/** The PostgreSQL backends serving our database. */
async function pgBackends(databaseUrl: string): Promise<number[]> {
  const a = new SQL(PG_ADMIN_URL)
  try {
    const rows: { pid: number }[] = await a`select pid from pg_stat_activity where datname = ${new URL(databaseUrl).pathname.slice(1)}`
    return rows.map((r) => r.pid)
  } finally {
    await a.close()
  }
}

/** What a run cost: CPU of our processes, and how busy the whole (shared) machine was. */
interface RunCpu {
  usage: CpuUsage
  wallS: number
  requests: number
}

/** Cores busy with something other than the services, their database backends and NATS (the generator counts here). */
const otherCores = (c: RunCpu) => Math.max(0, (c.usage.machineBusySeconds - Object.values(c.usage.procSeconds).reduce((a, b) => a + b, 0)) / c.wallS)
const cpuUs = (c: RunCpu, name: string) => ((c.usage.procSeconds[name] ?? 0) / Math.max(1, c.requests)) * 1e6

async function admin(p: BenchPlatform, method: string, path: string, body?: unknown) {
  const r = await fetch(`${p.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`)
  return r.json() as Promise<any>
}

/** Imports `n` numbers and assigns them to the bench tenant, 32 assignments at a time. */
async function givePool(p: BenchPlatform, n: number): Promise<string[]> {
  const numbers = Array.from({ length: n }, (_, i) => `+1202${String(2_000_000 + i).padStart(7, '0')}`)
  for (let i = 0; i < n; i += 1000) await admin(p, 'POST', '/admin/v1/dids', { numbers: numbers.slice(i, i + 1000) })
  let next = 0
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        const e164 = numbers[next++]!
        await admin(p, 'POST', `/admin/v1/dids/${e164}/assign`, { tenant_id: p.tenantId })
      }
    }),
  )
  return numbers
}

async function tenantRequest(p: BenchPlatform, method: string, path: string, body?: unknown) {
  const r = await fetch(`${p.gatewayUrl}${path}`, {
    method,
    headers: { 'x-api-key': p.apiKey, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return JSON.parse(text)
}

export async function run(): Promise<void> {
  const o = {
    rounds: num('BENCH_ROUNDS', 3),
    concurrency: list('BENCH_CONCURRENCY', '1,4,16,64'),
    durationS: num('BENCH_DURATION_S', 3),
    rates: list('BENCH_RATES', '250,500,750'),
    fixedS: num('BENCH_FIXED_DURATION_S', 6),
    pool: num('BENCH_POOL', 8000),
    parts: new Set((process.env.BENCH_PARTS ?? 'closed,fixed,bus').split(',').map((x) => x.trim())),
  }
  const began = performance.now()
  const log = (m: string) => process.stderr.write(`[bench sessions +${((performance.now() - began) / 1000).toFixed(1)}s] ${m}\n`)
  const stops: (() => Promise<void>)[] = []
  const unhook = stopAllOnInterrupt(stops)
  let platform: BenchPlatform | undefined
  const floors: BenchProcess[] = []
  let db: SQL | undefined
  try {
    log('launching identity, did, sessions, gateway (separate processes) on a fresh database')
    platform = await startBenchPlatform({ services: ['identity', 'did', 'sessions', 'gateway'], tenantRateLimit: 10_000 })
    stops.push(platform.stop)
    const p = platform
    log(`giving the tenant ${o.pool} numbers`)
    await givePool(p, o.pool)
    db = new SQL({ url: p.databaseUrl, max: 2 })
    const conn = db

    // The sessions the lookup and route runs read; they stay open through every reset.
    const routed = await tenantRequest(p, 'POST', '/v1/sessions', { driver_phone: '+14155550001', customer_phone: '+14155550002', order_id: 'bench-route' })
    const lookedUp = await tenantRequest(p, 'POST', '/v1/sessions', { driver_phone: '+14155550003', customer_phone: '+14155550004', order_id: 'bench-lookup' })
    const keep = [routed.id as string, lookedUp.id as string]
    const reset = async () => {
      await conn`with e as (
          update sessions.sessions set status = 'completed', ended_at = now(), end_reason = 'completed'
          where status = 'open' and not (id = any(${keep}))
          returning id)
        delete from sessions.session_parties where session_id in (select id from e)`
      // Vacuum now, so autovacuum does not clean up this churn in the middle of the next run.
      await conn`vacuum analyze sessions.sessions, sessions.session_parties`.catch(() => undefined)
    }

    const bare = await spawnReady(join(import.meta.dir, 'lib/floor-bare.ts'), p.env)
    floors.push(bare)
    const echo = await spawnReady(join(import.meta.dir, 'lib/floor-bus-echo.ts'), p.env)
    floors.push(echo)
    for (const f of floors) stops.push(f.stop)

    const servicePids: PidGroups = Object.fromEntries(p.launched.processes.map((x) => [x.name, x.proc.pid]))
    /** Runs one measurement after the machine has been quiet a moment (it is shared), with CPU accounting. */
    async function measured<T extends { requests: number }>(go: () => Promise<T>): Promise<T & { cpu: RunCpu }> {
      await waitForQuiet({ maxWaitMs: Number(process.env.BENCH_QUIET_WAIT_MS ?? 8000) })
      const pids: PidGroups = { ...servicePids, postgres: await pgBackends(p.databaseUrl), nats: pidsByComm('nats-server') }
      const before = sampleCpu(pids)
      const t0 = performance.now()
      const res = await go()
      return { ...res, cpu: { usage: cpuSince(before, pids), wallS: (performance.now() - t0) / 1000, requests: res.requests } }
    }

    const targets: HttpTarget[] = [
      { id: 'a', name: 'bare Elysia route (constant JSON)', url: `${bare.url}/bare`, method: 'GET', headers: {}, creates: false },
      {
        id: 'b',
        name: 'POST /v1/sessions (create)',
        url: `${p.gatewayUrl}/v1/sessions`,
        method: 'POST',
        headers: { 'x-api-key': p.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ driver_phone: '+14155550101', customer_phone: '+14155550102', ttl_minutes: 30 }),
        creates: true,
      },
      { id: 'c', name: 'GET /v1/sessions/{id} (lookup)', url: `${p.gatewayUrl}/v1/sessions/${lookedUp.id}`, method: 'GET', headers: { 'x-api-key': p.apiKey }, creates: false },
    ]

    log('warm-up')
    for (const t of targets) {
      await runClosedLoop({ url: t.url, method: t.method, headers: t.headers, body: t.body, connections: 16, durationS: 2, warmupS: 0 })
      if (t.creates) await reset()
    }

    const closed: Record<string, Record<number, Closed[]>> = { a: {}, b: {}, c: {} }
    for (let r = 1; r <= (o.parts.has('closed') ? o.rounds : 0); r++) {
      for (const c of o.concurrency) {
        for (const t of targets) {
          const res = await measured(() => runClosedLoop({ url: t.url, method: t.method, headers: t.headers, body: t.body, connections: c, durationS: o.durationS, warmupS: 0.5 }))
          ;(closed[t.id]![c] ??= []).push(res)
          const bad = Object.entries(res.failures).filter(([k]) => k !== '409')
          log(`closed round ${r} c=${c} (${t.id}) ${fmt(res.rps)} req/s p50 ${fmt(res.p50Ms)} p99 ${fmt(res.p99Ms)} ms, other load ${fmt(otherCores(res.cpu))} cores${Object.keys(res.failures).length ? ` failures ${JSON.stringify(res.failures)}` : ''}`)
          if (bad.length) log(`  unexpected failures on ${t.id}: ${JSON.stringify(res.failures)}`)
          if (t.creates) await reset()
        }
      }
    }

    const fixed: Record<string, Record<number, Fixed[]>> = { a: {}, b: {}, c: {} }
    for (let r = 1; r <= (o.parts.has('fixed') ? o.rounds : 0); r++) {
      for (const rate of o.rates) {
        for (const t of targets) {
          const res = await measured(async () => {
            const f = await runFixedRate({ url: t.url, method: t.method, headers: t.headers, body: t.body, ratePerSecond: rate, durationS: o.fixedS, warmupS: 1 })
            return { ...f, requests: f.scheduled + rate }
          })
          ;(fixed[t.id]![rate] ??= []).push(res)
          log(`open-loop round ${r} ${rate}/s (${t.id}) p50 ${fmt(res.p50Ms)} p99 ${fmt(res.p99Ms)} p99.9 ${fmt(res.p999Ms)} ms, ${res.errors} errors, other load ${fmt(otherCores(res.cpu))} cores${res.errors ? ` ${JSON.stringify(res.failures)}` : ''}`)
          if (t.creates) await reset()
        }
      }
    }

    const busBase = { natsUrl: p.env.NATS_URL!, prefix: p.env.BUS_PREFIX!, payload: { to: routed.masked_e164 as string, from: '+14155550002' }, durationS: o.durationS, warmupS: 0.5 }
    const busRuns: Record<string, Bussed[]> = {}
    const busCases: { key: string; subject: 'echo' | 'route'; concurrency?: number; ratePerSecond?: number }[] = []
    for (const subject of ['echo', 'route'] as const) {
      busCases.push({ key: `${subject} c=1`, subject, concurrency: 1 }, { key: `${subject} c=16`, subject, concurrency: 16 }, { key: `${subject} 1000/s`, subject, ratePerSecond: 1000 })
    }
    await runBusLoad({ ...busBase, subject: 'route', concurrency: 4, durationS: 1, warmupS: 0 })
    for (let r = 1; r <= (o.parts.has('bus') ? o.rounds : 0); r++) {
      for (const bc of busCases) {
        const res = await measured(() => runBusLoad({ ...busBase, subject: bc.subject, concurrency: bc.concurrency, ratePerSecond: bc.ratePerSecond, expectAction: bc.subject === 'route' ? 'bridge' : 'refuse' }))
        ;(busRuns[bc.key] ??= []).push(res)
        log(`bus round ${r} ${bc.key}: ${fmt(res.rps)} req/s p50 ${fmt(res.p50Ms)} p99 ${fmt(res.p99Ms)} ms, ${res.errors} errors, other load ${fmt(otherCores(res.cpu))} cores`)
      }
    }
    log('done measuring; stopping')
    report({ o: { ...o, parts: [...o.parts] }, targets, closed, fixed, busRuns })
  } finally {
    await db?.close()
    for (const f of floors.reverse()) await f.stop()
    await platform?.stop()
    unhook()
    log('stopped every process and dropped the database')
  }
}

type Closed = ClosedLoopResult & { cpu: RunCpu }
type Fixed = FixedRateResult & { requests: number; cpu: RunCpu }
type Bussed = BusLoadResult & { cpu: RunCpu }

function report(r: {
  o: { rounds: number; concurrency: number[]; durationS: number; rates: number[]; fixedS: number; pool: number; parts: string[] }
  targets: HttpTarget[]
  closed: Record<string, Record<number, Closed[]>>
  fixed: Record<string, Record<number, Fixed[]>>
  busRuns: Record<string, Bussed[]>
}): void {
  const { o } = r
  const out: string[] = []
  const med = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f))
  out.push(`## Sessions benchmark (${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version})`)
  out.push('')
  out.push(`Closed loop (bench/lib/closed-loop.ts, own process), ${o.durationS}s per run, ${o.rounds} rounds interleaved a,b,c; medians. Create runs start with ${o.pool} free numbers.`)
  out.push('')
  const rows: string[][] = []
  for (const c of o.concurrency) {
    for (const t of r.targets) {
      const runs = r.closed[t.id]![c] ?? []
      const f409 = runs.reduce((a, x) => a + (x.failures['409'] ?? 0), 0)
      const other = runs.reduce((a, x) => a + Object.entries(x.failures).filter(([k]) => k !== '409').reduce((s, [, v]) => s + v, 0), 0)
      rows.push([
        String(c),
        `(${t.id}) ${t.name}`,
        fmt(med(runs, (x) => x.rps)),
        fmt(med(runs, (x) => x.p50Ms)),
        fmt(med(runs, (x) => x.p99Ms)),
        runs.map((x) => fmt(x.rps)).join(' / '),
        `${other}${f409 ? ` (+${f409} 409)` : ''}`,
        t.id === 'a' ? '-' : ['gateway', 'sessions', 'postgres', 'nats'].map((n) => `${n} ${fmt(med(runs, (x) => cpuUs(x.cpu, n)))}`).join(', '),
        runs.map((x) => fmt(otherCores(x.cpu))).join(' / '),
      ])
    }
  }
  out.push(table(['connections', 'target', 'req/s', 'p50 ms', 'p99 ms', 'req/s per round', 'errors', 'CPU µs per request (medians)', 'other load, cores'], rows))
  out.push('')
  out.push(`Open loop at fixed rates (bench/lib/fixed-rate.ts), 1s warm-up then ${o.fixedS}s recorded, latency from each request's due time; medians of ${o.rounds} rounds.`)
  out.push('')
  const frows: string[][] = []
  for (const rate of o.rates) {
    for (const t of r.targets) {
      const runs = r.fixed[t.id]![rate] ?? []
      frows.push([
        `${rate}/s`,
        `(${t.id})`,
        fmt(med(runs, (x) => x.p50Ms)),
        fmt(med(runs, (x) => x.p90Ms)),
        fmt(med(runs, (x) => x.p99Ms)),
        fmt(med(runs, (x) => x.p999Ms)),
        runs.map((x) => fmt(x.p99Ms)).join(' / '),
        `${runs.reduce((a, x) => a + x.errors, 0)} / ${runs.reduce((a, x) => a + x.scheduled, 0)}`,
        runs.map((x) => fmt(otherCores(x.cpu))).join(' / '),
      ])
    }
  }
  out.push(table(['rate', 'target', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99 per round', 'errors / sent', 'other load, cores'], frows))
  out.push('')
  out.push(
    `Bus (bench/lib/bus-load.ts, typed Bus over NATS, own process), ${o.durationS}s per run; (d) constant-JSON responder, (e) sessions.route (a bridge decision); ` +
      `latency from each request's send (open loop: the generator's send lag, p99, in its own column); medians of ${o.rounds} rounds.`,
  )
  out.push('')
  out.push(
    table(
      ['case', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99 per round', 'errors', 'send lag p99 ms', 'CPU µs per request', 'other load, cores'],
      Object.entries(r.busRuns).map(([k, runs]) => [
        k.startsWith('echo') ? `(d) ${k}` : `(e) ${k}`,
        fmt(med(runs, (x) => x.rps)),
        fmt(med(runs, (x) => x.p50Ms)),
        fmt(med(runs, (x) => x.p90Ms)),
        fmt(med(runs, (x) => x.p99Ms)),
        fmt(med(runs, (x) => x.p999Ms)),
        runs.map((x) => fmt(x.p99Ms)).join(' / '),
        String(runs.reduce((a, x) => a + x.errors, 0)),
        fmt(med(runs, (x) => x.sendLagP99Ms)),
        k.startsWith('route') ? `sessions ${fmt(med(runs, (x) => cpuUs(x.cpu, 'sessions')))}, postgres ${fmt(med(runs, (x) => cpuUs(x.cpu, 'postgres')))}` : '-',
        runs.map((x) => fmt(otherCores(x.cpu))).join(' / '),
      ]),
    ),
  )
  const createP99 = med(r.fixed.b![500] ?? [], (x) => x.p99Ms)
  const createErrors = (r.fixed.b![500] ?? []).reduce((a, x) => a + x.errors, 0)
  const routeP99 = med(r.busRuns['route 1000/s'] ?? [], (x) => x.p99Ms)
  out.push('')
  if (r.fixed.b![500]) out.push(`Target create p99 < 20 ms at 500/s: ${createP99 < 20 && createErrors === 0 ? 'met' : 'MISSED'} (median p99 ${fmt(createP99)} ms, ${createErrors} errors).`)
  if (r.busRuns['route 1000/s']) out.push(`Target sessions.route p99 < 2 ms over NATS (at 1000/s open loop): ${routeP99 < 2 ? 'met' : 'MISSED'} (median p99 ${fmt(routeP99)} ms).`)
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.env.BENCH_OUT) void Bun.write(process.env.BENCH_OUT, JSON.stringify({ ...r, targets: r.targets.map(({ id, name }) => ({ id, name })) }, null, 2))
}

if (import.meta.main) await run()
