/**
 * Issue 3 benchmark: authenticated `GET /v1/api-keys` through gateway → NATS → identity →
 * PostgreSQL (services as separate processes), beside two floors measured in the same run with
 * the same generator (wrk):
 *   (a) bare     – an Elysia route answering constant JSON, its own process;
 *   (b) hop      – an Elysia route making one NATS request to a responder process that runs one
 *                  indexed select (the same query as identity's key list) with Bun SQL;
 *   (c) api-keys – the real thing, launched by infra/launch.ts on a fresh database.
 * Each is measured several times, interleaved a,b,c,a,b,c,… (the 2-core machine is shared and
 * noisy) and medians are quoted. Then an open-loop generator holds 1,000 req/s on (b) and (c),
 * interleaved b,c,b,c,…, and reports latency from each request's due time.
 *
 * Every run also records where the CPU went (our processes, the PostgreSQL backends of the
 * database, nats-server, the load generator) and how much of the machine something else was
 * using meanwhile ("other load"), so a bad round can be told from a noisy neighbour.
 *
 * Knobs (env): BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_DURATION_S (5), BENCH_WARMUP_S (2),
 * BENCH_THREADS (1, wrk threads), BENCH_FIXED_RATE (1000), BENCH_FIXED_DURATION_S (10),
 * BENCH_FIXED_WARMUP_S (1), BENCH_FIXED_ROUNDS (3), BENCH_OUT (write the raw figures as JSON there).
 */
import { join } from 'node:path'
import { SQL } from 'bun'
import { PG_ADMIN_URL } from '../tests/support/infra'
import { cpuSince, pidsByComm, sampleCpu, waitForQuiet, type CpuUsage, type PidGroups } from './lib/cpu'
import { runFixedRate, type FixedRateResult } from './lib/fixed-rate'
import { startBenchPlatform, type BenchPlatform } from './lib/platform'
import { spawnReady, stopAllOnInterrupt, type BenchProcess } from './lib/proc'
import { fmt, median, table } from './lib/stats'
import { requireWrk, runWrk, type WrkResult } from './lib/wrk'

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

interface Measured {
  requests: number
  cpu: CpuUsage
  /** CPU seconds of the load generator. */
  generatorCpu: number
  wallSeconds: number
}

const QUIET_CORES = 0.25

/** Cores busy on average with work that is neither the target, its backends nor the generator. */
function otherLoad(m: Measured): number {
  const ours = Object.values(m.cpu.procSeconds).reduce((a, b) => a + b, 0) + m.generatorCpu
  return Math.max(0, (m.cpu.machineBusySeconds - ours) / m.wallSeconds)
}

function cpuPerRequest(ms: Measured[]): string {
  const names = Object.keys(ms[0]!.cpu.procSeconds)
  const per = (f: (m: Measured) => number) => fmt(median(ms.map((m) => (f(m) / m.requests) * 1e6)))
  return [...names.map((n) => `${n} ${per((m) => m.cpu.procSeconds[n]!)}`), `generator ${per((m) => m.generatorCpu)}`, `machine ${per((m) => m.cpu.machineBusySeconds)}`].join(', ')
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
    nats: await sh(['nats-server', '--version']),
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
  const o = {
    rounds: num('BENCH_ROUNDS', 3),
    connections: num('BENCH_CONNECTIONS', 50),
    durationS: num('BENCH_DURATION_S', 5),
    warmupS: num('BENCH_WARMUP_S', 2),
    threads: num('BENCH_THREADS', 1),
    rate: num('BENCH_FIXED_RATE', 1000),
    fixedS: num('BENCH_FIXED_DURATION_S', 10),
    fixedWarmupS: num('BENCH_FIXED_WARMUP_S', 1),
    fixedRounds: num('BENCH_FIXED_ROUNDS', 3),
  }
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

    const databaseUrl = platform.databaseUrl
    async function measure(t: Target, go: () => Promise<{ requests: number; generatorCpu: number }>): Promise<Measured> {
      // Let the previous run's tail (last-used flush, GC) settle, and give a busy neighbour up to
      // 2 s to finish, so runs do not bleed into each other.
      await waitForQuiet({ maxWaitMs: 2000 })
      const pids: PidGroups = { ...t.pids, postgres: await pgBackends(databaseUrl), nats: pidsByComm('nats-server') }
      const before = sampleCpu(pids)
      const t0 = performance.now()
      const { requests, generatorCpu } = await go()
      return { requests, generatorCpu, cpu: cpuSince(before, pids), wallSeconds: (performance.now() - t0) / 1000 }
    }

    log(`warm-up ${o.warmupS}s each`)
    for (const t of targets) await runWrk({ url: t.url, headers: t.headers, connections: o.connections, durationS: o.warmupS, threads: o.threads })

    const wrkRuns: Record<string, { wrk: WrkResult; m: Measured }[]> = { a: [], b: [], c: [] }
    for (let r = 1; r <= o.rounds; r++) {
      for (const t of targets) {
        let wrk: WrkResult | undefined
        const m = await measure(t, async () => {
          wrk = await runWrk({ url: t.url, headers: t.headers, connections: o.connections, durationS: o.durationS, threads: o.threads })
          return { requests: wrk.requests, generatorCpu: wrk.cpuSeconds }
        })
        wrkRuns[t.id]!.push({ wrk: wrk!, m })
        const errs = wrk!.non2xx + wrk!.socketErrors
        log(`wrk round ${r} (${t.id}) ${fmt(wrk!.rps)} req/s p50 ${fmt(wrk!.p50Ms)} ms p99 ${fmt(wrk!.p99Ms)} ms other load ${fmt(otherLoad(m))} cores${errs ? ` ERRORS non2xx=${wrk!.non2xx} socket=${wrk!.socketErrors}` : ''}`)
      }
    }

    const fixedRuns: Record<string, { f: FixedRateResult; m: Measured }[]> = { b: [], c: [] }
    for (let r = 1; r <= o.fixedRounds; r++) {
      for (const t of [targets[1]!, targets[2]!]) {
        let f: FixedRateResult | undefined
        const m = await measure(t, async () => {
          f = await runFixedRate({ url: t.url, headers: t.headers, ratePerSecond: o.rate, durationS: o.fixedS, warmupS: o.fixedWarmupS })
          return { requests: f.scheduled + Math.round(o.rate * o.fixedWarmupS), generatorCpu: f.cpuSeconds ?? 0 }
        })
        fixedRuns[t.id]!.push({ f: f!, m })
        log(`open-loop round ${r} (${t.id}) ${o.rate} req/s: p50 ${fmt(f!.p50Ms)} p99 ${fmt(f!.p99Ms)} p99.9 ${fmt(f!.p999Ms)} ms, ${f!.errors} errors, other load ${fmt(otherLoad(m))} cores`)
      }
    }
    log('done measuring; stopping')
    await report({ o, targets, wrkRuns, fixedRuns, info: await machineInfo() })
  } finally {
    for (const f of floors.reverse()) await f.stop()
    await platform?.stop()
    unhook()
    log('stopped every process and dropped the database')
  }
}

async function report(r: {
  o: Record<string, number>
  targets: Target[]
  wrkRuns: Record<string, { wrk: WrkResult; m: Measured }[]>
  fixedRuns: Record<string, { f: FixedRateResult; m: Measured }[]>
  info: Record<string, string>
}): Promise<void> {
  const { o } = r
  const wmed = (id: string, f: (x: WrkResult) => number) => median(r.wrkRuns[id]!.map((x) => f(x.wrk)))
  const rps = (id: string) => wmed(id, (x) => x.rps)
  const out: string[] = []
  out.push(`## GET /v1/api-keys vs floors (${new Date().toISOString()})`)
  out.push('')
  out.push(`Machine: ${r.info.cpu}; Bun ${r.info.bun}; ${r.info.wrk}; PostgreSQL ${r.info.postgres}; ${r.info.nats}.`)
  out.push(`Throughput: wrk -t${o.threads} -c${o.connections} -d${o.durationS}s after a ${o.warmupS}s warm-up each, ${o.rounds} rounds interleaved a,b,c; medians of the rounds.`)
  out.push('')
  out.push(
    table(
      ['', 'target', 'req/s', 'p50 ms', 'p99 ms', 'req/s per round', 'errors', 'CPU µs per request (medians)', 'other load (cores)'],
      r.targets.map((t) => [
        `(${t.id})`,
        t.name,
        fmt(rps(t.id)),
        fmt(wmed(t.id, (x) => x.p50Ms)),
        fmt(wmed(t.id, (x) => x.p99Ms)),
        r.wrkRuns[t.id]!.map((x) => fmt(x.wrk.rps)).join(' / '),
        String(r.wrkRuns[t.id]!.reduce((a, x) => a + x.wrk.non2xx + x.wrk.socketErrors, 0)),
        cpuPerRequest(r.wrkRuns[t.id]!.map((x) => x.m)),
        r.wrkRuns[t.id]!.map((x) => fmt(otherLoad(x.m))).join(' / '),
      ]),
    ),
  )
  const cb = rps('c') / rps('b')
  out.push('')
  out.push(
    `Throughput ratios: (c)/(b) = ${(cb * 100).toFixed(0)}% (target ≥ 70%: ${cb >= 0.7 ? 'met' : 'MISSED'}); ` +
      `(c)/(a) = ${((rps('c') / rps('a')) * 100).toFixed(1)}%; (b)/(a) = ${((rps('b') / rps('a')) * 100).toFixed(1)}%.`,
  )
  // Rounds where neither (b) nor (c) shared the machine with a busy neighbour.
  const quietPairs = r.wrkRuns.b!.map((b, i) => [b, r.wrkRuns.c![i]!] as const).filter(([b, c]) => otherLoad(b.m) < QUIET_CORES && otherLoad(c.m) < QUIET_CORES)
  out.push(
    `Quiet rounds (other load < ${QUIET_CORES} cores during both (b) and (c)): ${quietPairs.length} of ${r.wrkRuns.b!.length}` +
      (quietPairs.length ? `, (c)/(b) per round ${quietPairs.map(([b, c]) => `${((c.wrk.rps / b.wrk.rps) * 100).toFixed(0)}%`).join(' / ')}.` : '.'),
  )
  out.push('')
  out.push(
    `Latency at a fixed rate: open-loop generator (bench/lib/fixed-rate.ts, its own process), ${o.rate} req/s, ${o.fixedWarmupS}s warm-up then ${o.fixedS}s recorded, ` +
      `latency from each request's due time; ${o.fixedRounds} rounds interleaved b,c; medians of the rounds.`,
  )
  out.push('')
  const fmed = (id: string, f: (x: FixedRateResult) => number) => median(r.fixedRuns[id]!.map((x) => f(x.f)))
  out.push(
    table(
      ['', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99 per round', 'max ms (worst round)', 'errors / sent', 'generator send lag p99 ms', 'CPU µs per request (medians)', 'other load (cores)'],
      Object.keys(r.fixedRuns).map((id) => {
        const runs = r.fixedRuns[id]!
        return [
          `(${id})`,
          fmt(fmed(id, (x) => x.p50Ms)),
          fmt(fmed(id, (x) => x.p90Ms)),
          fmt(fmed(id, (x) => x.p99Ms)),
          fmt(fmed(id, (x) => x.p999Ms)),
          runs.map((x) => fmt(x.f.p99Ms)).join(' / '),
          fmt(Math.max(...runs.map((x) => x.f.maxMs))),
          `${runs.reduce((a, x) => a + x.f.errors, 0)} / ${runs.reduce((a, x) => a + x.f.scheduled, 0)}`,
          fmt(fmed(id, (x) => x.sendLagP99Ms)),
          cpuPerRequest(runs.map((x) => x.m)),
          runs.map((x) => fmt(otherLoad(x.m))).join(' / '),
        ]
      }),
    ),
  )
  const p99 = fmed('c', (x) => x.p99Ms)
  const errors = r.fixedRuns.c!.reduce((a, x) => a + x.f.errors, 0)
  out.push('')
  for (const id of Object.keys(r.fixedRuns)) {
    const quiet = r.fixedRuns[id]!.filter((x) => otherLoad(x.m) < QUIET_CORES)
    out.push(
      `Quiet rounds of (${id}) (other load < ${QUIET_CORES} cores): ${quiet.length} of ${r.fixedRuns[id]!.length}` +
        (quiet.length ? `, median p99 ${fmt(median(quiet.map((x) => x.f.p99Ms)))} ms, p99.9 ${fmt(median(quiet.map((x) => x.f.p999Ms)))} ms.` : '.'),
    )
  }
  out.push('')
  out.push(`Target p99 < 10 ms at ${o.rate} req/s on (c): ${p99 < 10 && errors === 0 ? 'met' : 'MISSED'} (median p99 ${fmt(p99)} ms, ${errors} errors).`)
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.env.BENCH_OUT) {
    await Bun.write(process.env.BENCH_OUT, JSON.stringify({ ...r, targets: r.targets.map(({ id, name }) => ({ id, name })) }, null, 2))
  }
}

if (import.meta.main) await run()
