/**
 * An open-loop, fixed-rate load generator: request i is due at start + i/rate whatever happened
 * to the earlier ones, and its latency is measured from that due time, not from when it was
 * actually sent. A closed-loop tool (wrk) stops sending while the server stalls and so never
 * records the requests that would have waited ("coordinated omission"); this one does.
 *
 * Run it as its own process (so its event loop is not the server's): `runFixedRate()` spawns
 * `bun bench/lib/fixed-rate.ts '<json options>'`, which prints one `FIXED_RATE_JSON {...}` line.
 */
import { percentile, sorted } from './stats'

export interface FixedRateOptions {
  url: string
  ratePerSecond: number
  durationS: number
  headers?: Record<string, string>
  method?: string
  body?: string
  /** A request not answered within this is an error (default 2000 ms, the bus timeout). */
  timeoutMs?: number
  /**
   * Seconds sent at the same rate before recording starts (default 0): the first second after a
   * change of load carries one-off costs (new connections, GC heuristics adapting) that are not
   * the steady state the figure is about.
   */
  warmupS?: number
  /** Write `due_ms,latency_ms` per request here (CSV), to see when in the run the slow ones fell. */
  samplesOut?: string
}

export interface FixedRateResult {
  scheduled: number
  ok: number
  errors: number
  /** Status code (or `error:<name>`) → count, for everything that was not 2xx. */
  failures: Record<string, number>
  achievedRate: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** How late the generator itself sent (actual send − due time): shows it kept up. */
  sendLagP99Ms: number
  sendLagMaxMs: number
  /** CPU seconds the generator process used (filled in by `runFixedRate`). */
  cpuSeconds?: number
}

async function generate(o: FixedRateOptions): Promise<FixedRateResult> {
  const total = Math.round(o.ratePerSecond * o.durationS)
  const warm = Math.round(o.ratePerSecond * (o.warmupS ?? 0))
  const intervalMs = 1000 / o.ratePerSecond
  const timeoutMs = o.timeoutMs ?? 2000
  const latency = new Float64Array(total).fill(Number.POSITIVE_INFINITY)
  const lag = new Float64Array(total)
  const failures: Record<string, number> = {}
  let ok = 0
  const inflight = new Set<Promise<void>>()
  const init: RequestInit = { method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.body !== undefined ? { body: o.body } : {}) }

  // Warm-up requests have negative indices: sent and awaited like the others, never recorded.
  const send = (i: number, due: number) => {
    if (i >= 0) lag[i] = performance.now() - due
    const p = fetch(o.url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
      .then(async (r) => {
        await r.arrayBuffer()
        if (i < 0) return
        latency[i] = performance.now() - due
        if (r.status >= 200 && r.status < 300) ok++
        else failures[String(r.status)] = (failures[String(r.status)] ?? 0) + 1
      })
      .catch((e: unknown) => {
        if (i < 0) return
        const name = `error:${(e as Error)?.name ?? 'unknown'}`
        failures[name] = (failures[name] ?? 0) + 1
      })
      .finally(() => inflight.delete(p))
    inflight.add(p)
  }

  const t0 = performance.now() + 20
  const start = t0 + warm * intervalMs
  let next = -warm
  while (next < total) {
    const now = performance.now()
    // Everything due by now goes out at once (timers tick in ~1 ms steps); its lateness counts.
    while (next < total && start + next * intervalMs <= now) {
      send(next, start + next * intervalMs)
      next++
    }
    // At least 1 ms: a shorter sleep returns at once and the loop would spin, taking a core from
    // the processes under test. What is due meanwhile goes out on wake-up, its lateness counted.
    if (next < total) await Bun.sleep(Math.max(1, start + next * intervalMs - performance.now()))
  }
  const sentAll = performance.now()
  await Promise.race([Promise.allSettled([...inflight]), Bun.sleep(timeoutMs + 500)])

  if (o.samplesOut) {
    const rows = ['due_ms,latency_ms']
    for (let i = 0; i < total; i++) rows.push(`${(i * intervalMs).toFixed(3)},${latency[i]!.toFixed(3)}`)
    await Bun.write(o.samplesOut, `${rows.join('\n')}\n`)
  }
  // Unanswered requests stay at +Infinity, so they land in the top percentiles, as they should.
  const lat = sorted(latency)
  const lags = sorted(lag)
  const errors = Object.values(failures).reduce((a, b) => a + b, 0)
  return {
    scheduled: total,
    ok,
    errors,
    failures,
    achievedRate: total / ((sentAll - start) / 1000),
    p50Ms: percentile(lat, 50),
    p90Ms: percentile(lat, 90),
    p99Ms: percentile(lat, 99),
    p999Ms: percentile(lat, 99.9),
    maxMs: lat[lat.length - 1]!,
    sendLagP99Ms: percentile(lags, 99),
    sendLagMaxMs: lags[lags.length - 1]!,
  }
}

/** Runs the generator in a separate Bun process and returns its figures. */
export async function runFixedRate(o: FixedRateOptions): Promise<FixedRateResult> {
  const p = Bun.spawn(['bun', import.meta.path, JSON.stringify(o)], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const killer = setTimeout(() => p.kill('SIGKILL'), (o.durationS + (o.warmupS ?? 0) + 20) * 1000)
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(killer)
  const line = out.split('\n').find((l) => l.startsWith('FIXED_RATE_JSON '))
  if (code !== 0 || !line) throw new Error(`fixed-rate generator failed (exit ${code}): ${err || out}`)
  const r = JSON.parse(line.slice('FIXED_RATE_JSON '.length), (k, v) => (v === null && k.endsWith('Ms') ? Number.POSITIVE_INFINITY : v)) as FixedRateResult
  r.cpuSeconds = Number(p.resourceUsage()?.cpuTime.total ?? 0n) / 1e6
  return r
}

if (import.meta.main) {
  const opts = JSON.parse(process.argv[2] ?? '{}') as FixedRateOptions
  if (!opts.url || !(opts.ratePerSecond > 0) || !(opts.durationS > 0) || opts.durationS > 120) {
    process.stderr.write('usage: bun bench/lib/fixed-rate.ts \'{"url":…,"ratePerSecond":1000,"durationS":10}\' (duration ≤ 120 s)\n')
    process.exit(2)
  }
  const r = await generate(opts)
  // JSON has no Infinity: unanswered requests are reported as null in the percentiles.
  process.stdout.write(`FIXED_RATE_JSON ${JSON.stringify(r, (_, v) => (v === Number.POSITIVE_INFINITY ? null : v))}\n`)
}
