/**
 * A closed-loop HTTP load generator (N connections, each sending its next request as soon as
 * the previous answer arrives): throughput and latency at a given concurrency. Unlike wrk it
 * sends any method and body. Runs as its own process (its event loop is not the server's):
 * `runClosedLoop()` spawns `bun bench/lib/closed-loop.ts '<json options>'`, which prints one
 * `CLOSED_LOOP_JSON {...}` line.
 */
import { percentile, sorted } from './stats'

export interface ClosedLoopOptions {
  url: string
  connections: number
  durationS: number
  /** Sent the same way before recording starts (default 1 s). */
  warmupS?: number
  method?: string
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
}

export interface ClosedLoopResult {
  requests: number
  ok: number
  /** Status code (or `error:<name>`) → count, for everything that was not 2xx. */
  failures: Record<string, number>
  rps: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
}

async function generate(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const init: RequestInit = { method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.body !== undefined ? { body: o.body } : {}) }
  const t0 = performance.now()
  const start = t0 + (o.warmupS ?? 1) * 1000
  const end = start + o.durationS * 1000
  const latencies: number[] = []
  const failures: Record<string, number> = {}
  let ok = 0
  const worker = async () => {
    while (performance.now() < end) {
      const sent = performance.now()
      let status = 'error'
      try {
        const r = await fetch(o.url, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 2000) })
        await r.arrayBuffer()
        status = String(r.status)
      } catch (e) {
        status = `error:${(e as Error)?.name ?? 'unknown'}`
      }
      const done = performance.now()
      if (sent < start || done > end) continue
      latencies.push(done - sent)
      if (status.startsWith('2')) ok++
      else failures[status] = (failures[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: o.connections }, worker))
  const lat = sorted(latencies)
  return {
    requests: latencies.length,
    ok,
    failures,
    rps: latencies.length / o.durationS,
    p50Ms: percentile(lat, 50),
    p90Ms: percentile(lat, 90),
    p99Ms: percentile(lat, 99),
    maxMs: lat[lat.length - 1] ?? Number.NaN,
  }
}

export async function runClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const p = Bun.spawn(['bun', import.meta.path, JSON.stringify(o)], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const killer = setTimeout(() => p.kill('SIGKILL'), (o.durationS + (o.warmupS ?? 1) + 20) * 1000)
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(killer)
  const line = out.split('\n').find((l) => l.startsWith('CLOSED_LOOP_JSON '))
  if (code !== 0 || !line) throw new Error(`closed-loop generator failed (exit ${code}): ${err || out}`)
  return JSON.parse(line.slice('CLOSED_LOOP_JSON '.length)) as ClosedLoopResult
}

if (import.meta.main) {
  const o = JSON.parse(process.argv[2] ?? '{}') as ClosedLoopOptions
  if (!o.url || !(o.connections > 0) || !(o.durationS > 0) || o.durationS > 120) {
    process.stderr.write('usage: bun bench/lib/closed-loop.ts \'{"url":…,"connections":16,"durationS":5}\'\n')
    process.exit(2)
  }
  process.stdout.write(`CLOSED_LOOP_JSON ${JSON.stringify(await generate(o))}\n`)
}
