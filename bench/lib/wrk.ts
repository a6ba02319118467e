/**
 * Runs wrk (the Debian package) against a URL and returns its figures as numbers. wrk is the
 * closed-loop saturating generator: N connections, each sending its next request as soon as the
 * previous answer arrives, so it measures throughput; its latencies are those at saturation.
 * A Lua `done` hook prints the summary as JSON, so nothing depends on wrk's text layout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
`

let script: string | undefined
function reportScript(): string {
  if (!script) {
    script = join(mkdtempSync(join(tmpdir(), 'bench-wrk-')), 'report.lua')
    writeFileSync(script, REPORT_LUA)
  }
  return script
}

export interface WrkOptions {
  url: string
  connections: number
  durationS: number
  threads?: number
  headers?: Record<string, string>
  /** wrk's per-request timeout (default 2 s, the bus timeout). */
  timeoutS?: number
}

export interface WrkResult {
  label?: string
  rps: number
  requests: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** Non-2xx/3xx answers. */
  non2xx: number
  /** Connect, read, write errors and timeouts. */
  socketErrors: number
  /** CPU seconds wrk itself used (it shares the machine with what it measures). */
  cpuSeconds: number
}

export function wrkAvailable(): boolean {
  return Bun.which('wrk') !== null
}

export function requireWrk(): void {
  if (!wrkAvailable()) throw new Error('wrk is not installed: apt-get install -y wrk (Debian package)')
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  requireWrk()
  const args = ['wrk', `-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${o.durationS}s`, `--timeout`, `${o.timeoutS ?? 2}s`, '-s', reportScript()]
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`)
  args.push(o.url)
  const p = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  // Bounded: wrk stops itself after the duration; this is the backstop if it does not.
  const killer = setTimeout(() => p.kill('SIGKILL'), (o.durationS + 15) * 1000)
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(killer)
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '))
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`)
  const j = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>
  const ms = (us: number | undefined) => (us ?? Number.NaN) / 1000
  return {
    rps: j.requests! / (j.duration_us! / 1e6),
    requests: j.requests!,
    p50Ms: ms(j.p50_us),
    p90Ms: ms(j.p90_us),
    p99Ms: ms(j.p99_us),
    p999Ms: ms(j.p999_us),
    maxMs: ms(j.max_us),
    non2xx: j.status!,
    socketErrors: j.connect! + j.read! + j.write! + j.timeout!,
    cpuSeconds: Number(p.resourceUsage()?.cpuTime.total ?? 0n) / 1e6,
  }
}
