/**
 * Load on one bus subject through the typed `Bus` over NATS, as a service client (call control)
 * sends it: closed loop (N requests in flight) or open loop (a fixed rate, latency from each
 * request's due time). Its own process: `runBusLoad()` spawns `bun bench/lib/bus-load.ts '<json>'`,
 * which prints one `BUS_LOAD_JSON {...}` line.
 */
import { connectBus } from '../../shared/bus/connect'
import { sessions } from '../../shared/contracts/sessions'
import { benchEcho } from './floor-bus-echo'
import { percentile, sorted } from './stats'

export interface BusLoadOptions {
  natsUrl: string
  prefix: string
  /** `route`: sessions.route; `echo`: the constant-JSON floor (floor-bus-echo.ts). */
  subject: 'route' | 'echo'
  payload: { to: string; from: string }
  durationS: number
  warmupS?: number
  /** Closed loop: this many requests in flight. */
  concurrency?: number
  /** Open loop instead: this many requests per second. */
  ratePerSecond?: number
  /** Checks each reply (e.g. the route decision must be a bridge). */
  expectAction?: string
}

export interface BusLoadResult {
  requests: number
  errors: number
  rps: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** Open loop: how late requests went out (send − due), p99; 0 for closed loop. */
  sendLagP99Ms: number
}

async function generate(o: BusLoadOptions): Promise<BusLoadResult> {
  const bus = await connectBus({ natsUrl: o.natsUrl, prefix: o.prefix, service: 'bench-load' })
  const call = o.subject === 'route' ? () => bus.request(sessions.route, o.payload) : () => bus.request(benchEcho, o.payload)
  const latencies: number[] = []
  let errors = 0
  const t0 = performance.now()
  const start = t0 + (o.warmupS ?? 1) * 1000
  const end = start + o.durationS * 1000
  const lags: number[] = []
  // Latency from the moment the request goes out; in open loop the lateness of sending (timers
  // tick in 1 ms steps) is reported apart, as the send lag, so a sub-ms figure is not blurred by it.
  const one = async (due: number) => {
    const sent = performance.now()
    const counted = due >= start && due < end
    if (counted && o.ratePerSecond) lags.push(sent - due)
    try {
      const r = (await call()) as { action: string }
      if (o.expectAction && r.action !== o.expectAction) throw new Error(`unexpected ${r.action}`)
      if (counted) latencies.push(performance.now() - sent)
    } catch {
      if (counted) errors++
    }
  }
  if (o.ratePerSecond) {
    const interval = 1000 / o.ratePerSecond
    const inflight = new Set<Promise<void>>()
    let i = 0
    for (;;) {
      // Everything due by now goes out at once (timers tick in ~1 ms steps); its lateness counts.
      const now = performance.now()
      while (t0 + i * interval <= now && t0 + i * interval < end) {
        const p = one(t0 + i * interval).finally(() => inflight.delete(p))
        inflight.add(p)
        i++
      }
      if (t0 + i * interval >= end) break
      // At least 1 ms: Bun.sleep below 1 ms returns at once, and the loop would spin a core away
      // from the processes under test.
      await Bun.sleep(Math.max(1, t0 + i * interval - performance.now()))
    }
    await Promise.all([...inflight])
  } else {
    const worker = async () => {
      while (performance.now() < end) await one(performance.now())
    }
    await Promise.all(Array.from({ length: o.concurrency ?? 1 }, worker))
  }
  await bus.drain()
  const lat = sorted(latencies)
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / o.durationS,
    p50Ms: percentile(lat, 50),
    p90Ms: percentile(lat, 90),
    p99Ms: percentile(lat, 99),
    p999Ms: percentile(lat, 99.9),
    maxMs: lat[lat.length - 1] ?? Number.NaN,
    sendLagP99Ms: lags.length ? percentile(sorted(lags), 99) : 0,
  }
}

export async function runBusLoad(o: BusLoadOptions): Promise<BusLoadResult> {
  const p = Bun.spawn(['bun', import.meta.path, JSON.stringify(o)], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const killer = setTimeout(() => p.kill('SIGKILL'), (o.durationS + (o.warmupS ?? 1) + 20) * 1000)
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(killer)
  const line = out.split('\n').find((l) => l.startsWith('BUS_LOAD_JSON '))
  if (code !== 0 || !line) throw new Error(`bus load generator failed (exit ${code}): ${err || out}`)
  return JSON.parse(line.slice('BUS_LOAD_JSON '.length)) as BusLoadResult
}

if (import.meta.main) {
  const o = JSON.parse(process.argv[2] ?? '{}') as BusLoadOptions
  process.stdout.write(`BUS_LOAD_JSON ${JSON.stringify(await generate(o))}\n`)
  process.exit(0)
}
