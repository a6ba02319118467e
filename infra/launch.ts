/**
 * The production shape on one machine: every service as its own process on real NATS and
 * PostgreSQL. Used by the e2e tests and the benchmarks, and by hand:
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1/masking bun infra/launch.ts
 *
 * Each process gets its own PORT; the launcher waits for `/ready` before starting the next.
 */
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { SERVICE_NAMES, type ServiceName } from '../shared/services'

export { SERVICE_NAMES, type ServiceName } from '../shared/services'

const ROOT = join(import.meta.dir, '..')
const DEFAULT_PORTS: Record<ServiceName, number> = { gateway: 8080, identity: 8081, did: 8082, sessions: 8083, 'call-control': 8084 }
const GATEWAY_OPS_PORT = 9090

export interface ServiceProcess {
  name: ServiceName
  index: number
  port: number
  url: string
  /** Where `/ready` and `/metrics` are: the gateway's OPS_PORT, the others' PORT. */
  opsUrl: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every line the process wrote (stdout and stderr), for assertions on logs. */
  lines: string[]
  exited: Promise<number>
}

export interface LaunchOptions {
  env: Record<string, string | undefined>
  /** Extra environment of one service's processes (e.g. its own NATS credentials). */
  envOf?: (name: ServiceName) => Record<string, string>
  /** How many instances of each service (default 1 each; services not present in SERVICE_NAMES's folders are skipped). */
  instances?: Partial<Record<ServiceName, number>>
  /** Only these services (default: every one that exists). */
  services?: ServiceName[]
  /** 'default': each service's usual port (gateway 8080, identity 8081, …; +10 per extra instance); else free ports. */
  ports?: 'default' | 'free'
  readyTimeoutMs?: number
  /** Echo service output to this process's stderr. */
  echo?: boolean
}

export interface Launched {
  processes: ServiceProcess[]
  gatewayUrls: string[]
  byName(name: ServiceName): ServiceProcess[]
  /** Starts one more instance of a service (e.g. after killing one). */
  start(name: ServiceName): Promise<ServiceProcess>
  /** SIGTERM (or the given signal) to every process, then waits for them to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port!
  s.stop(true)
  return port
}

export async function waitReady(url: string, timeoutMs: number, proc?: ServiceProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc && proc.proc.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.proc.exitCode}:\n${proc.lines.slice(-20).join('\n')}`)
    try {
      const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) })
      if (r.status === 200) return
    } catch {
      // not listening yet
    }
    await Bun.sleep(50)
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms${proc ? `:\n${proc.lines.slice(-20).join('\n')}` : ''}`)
}

async function pump(stream: ReadableStream<Uint8Array>, lines: string[], echo: string | undefined): Promise<void> {
  const dec = new TextDecoder()
  let rest = ''
  for await (const chunk of stream) {
    const parts = (rest + dec.decode(chunk, { stream: true })).split('\n')
    rest = parts.pop() ?? ''
    for (const l of parts) {
      lines.push(l)
      if (echo) process.stderr.write(`[${echo}] ${l}\n`)
    }
  }
  if (rest) lines.push(rest)
}

export async function launch(opts: LaunchOptions): Promise<Launched> {
  const processes: ServiceProcess[] = []
  const counts = new Map<ServiceName, number>()
  const wanted = opts.services ?? [...SERVICE_NAMES]

  async function start(name: ServiceName): Promise<ServiceProcess> {
    const index = counts.get(name) ?? 0
    counts.set(name, index + 1)
    const port = opts.ports === 'default' ? DEFAULT_PORTS[name] + index * 10 : await freePort()
    const opsPort = name !== 'gateway' ? port : opts.ports === 'default' ? GATEWAY_OPS_PORT + index * 10 : await freePort()
    // Bun's own header limit answers with an empty 431: raised, the gateway's (8 KiB) answers first.
    const proc = Bun.spawn(['bun', '--max-http-header-size=65536', join(ROOT, 'services', name, 'main.ts')], {
      cwd: ROOT,
      env: { ...opts.env, ...(opts.envOf?.(name) ?? {}), PORT: String(port), ...(name === 'gateway' ? { OPS_PORT: String(opsPort) } : {}) } as Record<string, string>,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const lines: string[] = []
    const label = opts.echo ? `${name}#${index}` : undefined
    void pump(proc.stdout, lines, label)
    void pump(proc.stderr, lines, label)
    const sp: ServiceProcess = { name, index, port, url: `http://127.0.0.1:${port}`, opsUrl: `http://127.0.0.1:${opsPort}`, proc, lines, exited: proc.exited }
    processes.push(sp)
    await waitReady(sp.opsUrl, opts.readyTimeoutMs ?? 20_000, sp)
    return sp
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    // Gateway first, so nothing new comes in while the services behind it drain.
    for (const p of [...processes].reverse()) if (p.proc.exitCode === null) p.proc.kill(signal)
    await Promise.race([Promise.all(processes.map((p) => p.exited)), Bun.sleep(10_000)])
    for (const p of processes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL')
  }

  try {
    for (const name of wanted) {
      for (let i = 0; i < (opts.instances?.[name] ?? 1); i++) await start(name)
    }
  } catch (e) {
    await stop('SIGKILL')
    throw e
  }
  return {
    processes,
    get gatewayUrls() {
      return processes.filter((p) => p.name === 'gateway' && p.proc.exitCode === null).map((p) => p.url)
    },
    byName: (name) => processes.filter((p) => p.name === name),
    start,
    stop,
  }
}

if (import.meta.main) {
  if (!process.env.NATS_URL || !process.env.DATABASE_URL) {
    process.stderr.write('launch: set NATS_URL and DATABASE_URL (the production shape needs both)\n')
    process.exit(2)
  }
  const gateways = Number(process.env.GATEWAYS ?? 1)
  const launched = await launch({ env: process.env, instances: { gateway: gateways }, ports: 'default', echo: true })
  for (const p of launched.processes) process.stderr.write(`${p.name}#${p.index} pid ${p.proc.pid} on ${p.url}\n`)
  const shutdown = () => void launched.stop().then(() => process.exit(0))
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
