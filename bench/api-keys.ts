/**
 * Issue 3 benchmark: authenticated `GET /v1/api-keys` through gateway → NATS → identity →
 * PostgreSQL (services as separate processes), beside two floors measured in the same run with
 * the same generator (wrk):
 *   (a) bare   – an Elysia route answering constant JSON, its own process;
 *   (b) hop    – an Elysia route making one NATS request to a responder process that runs one
 *                indexed select (the same query as identity's key list) with Bun SQL;
 *   (c) api-keys – the real thing, launched by infra/launch.ts on a fresh database.
 * Each is measured several times, interleaved a,b,c,a,b,c,… (the machine is shared and noisy)
 * and medians are quoted. Then an open-loop generator holds 1,000 req/s on (c) (and on (b), as
 * its floor) and reports latency from each request's due time.
 *
 * Knobs (env): BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_DURATION_S (5), BENCH_WARMUP_S (2),
 * BENCH_THREADS (1, wrk threads), BENCH_FIXED_RATE (1000), BENCH_FIXED_DURATION_S (10),
 * BENCH_OUT (write the raw figures as JSON there).
 */
import { join } from 'node:path'
import { SQL } from 'bun'
import { cpuSince, pidsByComm, sampleCpu, type CpuUsage, type PidGroups } from './lib/cpu'
import { runFixedRate, type FixedRateResult } from './lib/fixed-rate'
import { startBenchPlatform, type BenchPlatform } from './lib/platform'
import { spawnReady, stopAllOnInterrupt, type BenchProcess } from './lib/proc'
import { fmt, median, table } from './lib/stats'
import { requireWrk, runWrk, type WrkResult } from './lib/wrk'
import { PG_ADMIN_URL } from '../tests/support/infra'

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`)
  return v
}

interface Target {
  id: 'a' | 'b' | 'c'
  name: string
  url: string
  headers: Record<string, string>
  /** Our processes serving it, for CPU per request. */
  pids: Record<string, number>
}

interface Run {
  wrk: WrkResult
  cpu: CpuUsage
}

async function machineInfo(): Promise<Record<string, string>> {
  const sh = async (cmd: string[]) => {
    try {
      const p = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
      return ((await new Response(p.stdout).text()) + (await new Response(p.stderr).text())).trim().split('\n')[0] ?? ''
    } catch {
      return 'n/a'
    }
  }
  const cpuModel = (await Bun.file('/proc/cpuinfo').text()).match(/model name\s*:\s*(.*)/)?.[1] ?? 'n/a'
  return {
    cpu: `${cpuModel} × ${navigator.hardwareConcurrency}`,
    bun: Bun.version,
    wrk: (await sh(['wrk', '--version'])).replace(/ Copyright.*/, ''),
    postgres: await sh(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'show server_version']),
  }
}

/** The PostgreSQL backends serving our database (only the target under load uses them). */
async function pgBackends(databaseUrl: string): Promise<number[]> {
  const admin = new SQL(PG_ADMIN_URL)
  try {
    const name = new URL(databaseUrl).pathname.slice(1)
    const rows: { pid: number }[] = await admin`select pid from pg_stat_activity where datname = ${name}`
    return rows.map((r) => r.pid)
  } finally {
    await admin.close()
  }
}

async function checkOnce(t: Target): Promise<void> {
  const r = await fetch(t.url, { headers: t.headers })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${t.name} answered ${r.status}: ${text.slice(0, 300)}`)
}

export async function run(): Promise<void> {
  const rounds = num('BENCH_ROUNDS', 3)
  const connections = num('BENCH_CONNECTIONS', 50)
  const durationS = num('BENCH_DURATION_S', 5)
  const warmupS = num('BENCH_WARMUP_S', 2)
  const threads = num('BENCH_THREADS', 1)
  const rate = num('BENCH_FIXED_RATE', 1000)
  const fixedS = num('BENCH_FIXED_DURATION_S', 10)
  requireWrk()
  const began = performance.now()
  const log = (m: string) => process.stderr.write(`[bench api-keys +${((performance.now() - began) / 1000).toFixed(1)}s] ${m}\n`)

  const stops: (() => Promise<void>)[] = []
  const unhook = stopAllOnInterrupt(stops)
  let platform: BenchPlatform | undefined
  const floors: BenchProcess[] = []
  try {
    log('launching identity + gateway (separate processes) on a fresh database')
    platform = await startBenchPlatform({ services: ['identity', 'gateway'], tenantRateLimit: 10_000 })
    stops.push(platform.stop)
    const env = platform.env
    const bare = await spawnReady(join(import.meta.dir, 'lib/floor-bare.ts'), env)
    floors.push(bare)
    const hopDb = await spawnReady(join(import.meta.dir, 'lib/floor-hop-db.ts'), env)
    floors.push(hopDb)
    const hopHttp = await spawnReady(join(import.meta.dir, 'lib/floor-hop-http.ts'), { ...env, HOP_TENANT_ID: platform.tenantId })
    floors.push(hopHttp)
    for (const f of floors) stops.push(f.stop)

    const gw = platform.launched.byName('gateway')[0]!
    const idn = platform.launched.byName('identity')[0]!
    const targets: Target[] = [
      { id: 'a', name: 'bare Elysia route', url: `${bare.url}/bare`, headers: {}, pids: { bare: bare.pid } },
      { id: 'b', name: 'minimal hop (HTTP → NATS → select)', url: `${hopHttp.url}/hop`, headers: {}, pids: { 'hop-http': hopHttp.pid, 'hop-db': hopDb.pid } },
      {
        id: 'c',
        name: 'GET /v1/api-keys (gateway → NATS → identity → PG)',
        url: `${platform.gatewayUrl}/v1/api-keys`,
        headers: { 'x-api-key': platform.apiKey },
        pids: { gateway: gw.proc.pid, identity: idn.proc.pid },
      },
    ]
    for (const t of targets) await checkOnce(t)

    log(`warm-up ${warmupS}s each`)
    for (const t of targets) await runWrk({ url: t.url, headers: t.headers, connections, durationS: warmupS, threads })

    const runs: Record<string, Run[]> = { a: [], b: [], c: [] }
    for (let r = 1; r <= rounds; r++) {
      for (const t of targets) {
        // Let the previous run's tail (last-used flush, GC) settle so runs do not bleed into each other.
        await Bun.sleep(300)
        const pids: PidGroups = { ...t.pids, postgres: await pgBackends(platform.databaseUrl), nats: pidsByComm('nats-server') }
        const before = sampleCpu(pids)
        const wrk = await runWrk({ url: t.url, headers: t.headers, connections, durationS, threads })
        const cpu = cpuSince(before, pids)
        runs[t.id]!.push({ wrk, cpu })
        log(`round ${r} (${t.id}) ${fmt(wrk.rps)} req/s p50 ${fmt(wrk.p50Ms)} ms p99 ${fmt(wrk.p99Ms)} ms${wrk.non2xx || wrk.socketErrors ? ` ERRORS non2xx=${wrk.non2xx} socket=${wrk.socketErrors}` : ''}`)
      }
    }

    const fixed: Record<string, FixedRateResult> = {}
    for (const t of [targets[1]!, targets[2]!]) {
      log(`open loop ${rate} req/s for ${fixedS}s on (${t.id})`)
      await Bun.sleep(300)
      fixed[t.id] = await runFixedRate({ url: t.url, headers: t.headers, ratePerSecond: rate, durationS: fixedS })
    }
    log('done measuring; stopping')

    await report({ targets, runs, fixed, rounds, connections, durationS, warmupS, threads, rate, fixedS, info: await machineInfo() })
  } finally {
    for (const f of floors.reverse()) await f.stop()
    await platform?.stop()
    unhook()
    log('stopped every process and dropped the database')
  }
}

async function report(r: {
  targets: Target[]
  runs: Record<string, Run[]>
  fixed: Record<string, FixedRateResult>
  rounds: number
  connections: number
  durationS: number
  warmupS: number
  threads: number
  rate: number
  fixedS: number
  info: Record<string, string>
}): Promise<void> {
  const med = (id: string, f: (x: Run) => number) => median(r.runs[id]!.map(f))
  const rps = (id: string) => med(id, (x) => x.wrk.rps)
  const out: string[] = []
  out.push(`## GET /v1/api-keys vs floors (${new Date().toISOString()})`)
  out.push('')
  out.push(`Machine: ${r.info.cpu}; Bun ${r.info.bun}; ${r.info.wrk}; PostgreSQL ${r.info.postgres}.`)
  out.push(
    `wrk -t${r.threads} -c${r.connections} -d${r.durationS}s (after a ${r.warmupS}s warm-up each), ${r.rounds} rounds interleaved a,b,c; medians of the rounds.`,
  )
  out.push('')
  const cpuPerReq = (id: string) => {
    const names = Object.keys(r.runs[id]![0]!.cpu.procSeconds)
    const parts = names.map((n) => `${n} ${fmt(med(id, (x) => (x.cpu.procSeconds[n]! / x.wrk.requests) * 1e6))}`)
    parts.push(`machine ${fmt(med(id, (x) => (x.cpu.machineBusySeconds / x.wrk.requests) * 1e6))}`)
    return parts.join(', ')
  }
  out.push(
    table(
      ['', 'target', 'req/s (median)', 'p50 ms', 'p99 ms', 'req/s per round', 'errors', 'CPU µs/request'],
      r.targets.map((t) => [
        `(${t.id})`,
        t.name,
        fmt(rps(t.id)),
        fmt(med(t.id, (x) => x.wrk.p50Ms)),
        fmt(med(t.id, (x) => x.wrk.p99Ms)),
        r.runs[t.id]!.map((x) => fmt(x.wrk.rps)).join(' / '),
        String(r.runs[t.id]!.reduce((a, x) => a + x.wrk.non2xx + x.wrk.socketErrors, 0)),
        cpuPerReq(t.id),
      ]),
    ),
  )
  const cb = rps('c') / rps('b')
  const ca = rps('c') / rps('a')
  out.push('')
  out.push(`Ratios (throughput): (c)/(b) = ${(cb * 100).toFixed(0)}% (target ≥ 50%: ${cb >= 0.5 ? 'met' : 'MISSED'}); (c)/(a) = ${(ca * 100).toFixed(0)}%; (b)/(a) = ${((rps('b') / rps('a')) * 100).toFixed(0)}%.`)
  out.push('')
  out.push(`Open loop, ${r.rate} req/s for ${r.fixedS}s (latency from each request's due time):`)
  out.push('')
  out.push(
    table(
      ['', 'sent', 'ok', 'errors', 'achieved req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'generator send lag p99 / max ms'],
      Object.entries(r.fixed).map(([id, f]) => [
        `(${id})`,
        String(f.scheduled),
        String(f.ok),
        `${f.errors}${f.errors ? ` ${JSON.stringify(f.failures)}` : ''}`,
        fmt(f.achievedRate),
        fmt(f.p50Ms),
        fmt(f.p90Ms),
        fmt(f.p99Ms),
        fmt(f.p999Ms),
        fmt(f.maxMs),
        `${fmt(f.sendLagP99Ms)} / ${fmt(f.sendLagMaxMs)}`,
      ]),
    ),
  )
  const c = r.fixed.c!
  out.push('')
  out.push(`Target p99 < 10 ms at ${r.rate} req/s on (c): ${c.p99Ms < 10 && c.errors === 0 ? 'met' : 'MISSED'} (p99 ${fmt(c.p99Ms)} ms, ${c.errors} errors).`)
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.env.BENCH_OUT) {
    await Bun.write(process.env.BENCH_OUT, JSON.stringify({ ...r, targets: r.targets.map(({ id, name }) => ({ id, name })) }, null, 2))
  }
}

if (import.meta.main) await run()
