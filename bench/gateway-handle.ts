/**
 * The gateway's own CPU per request, without network or other processes: `GET /v1/api-keys`
 * (cached key, scope, rate limit, query validation, one bus request, 200 response validation and
 * serialisation) through `app.handle(new Request(…))` on an in-process bus whose identity answers
 * at once. With BENCH_BASELINE=<dir of another checkout>, that checkout's gateway runs in the same
 * process, interleaved round by round, so the two share whatever else the machine is doing.
 *
 * Knobs (env): BENCH_ROUNDS (7), BENCH_REQUESTS (20000 per round), BENCH_BASELINE.
 */
import { join, resolve } from 'node:path'
import { generateApiKey, hashApiKey } from '../shared/api-key'
import { SCOPES } from '../shared/contracts/common'
import { fmt, median, table } from './lib/stats'

const ROOT = resolve(import.meta.dir, '..')

async function gatewayFrom(root: string) {
  const imp = (p: string) => import(join(root, p))
  const [{ Bus }, { InProcessTransport }, { serviceLogger }, { createGatewayApp }, { KeyCache }, { KeyUsageReporter }, { RateLimiter }, { identity }] = await Promise.all([
    imp('shared/bus/bus.ts'),
    imp('shared/bus/in-process-transport.ts'),
    imp('shared/log.ts'),
    imp('services/gateway/app.ts'),
    imp('services/gateway/key-cache.ts'),
    imp('services/gateway/key-usage.ts'),
    imp('services/gateway/rate-limit.ts'),
    imp('shared/contracts/identity.ts'),
  ])
  const key = generateApiKey()
  const bus = new Bus(new InProcessTransport(), { prefix: `bench_${Math.random().toString(36).slice(2, 8)}`, service: 'bench' })
  bus.serve(identity.verifyKey, async () => ({ tenant_id: 'ten_b', key_id: 'key_b', key_prefix: key.slice(0, 15), scopes: [...SCOPES], expires_at: null, rate_limit_per_second: 1e6 }))
  const items = Array.from({ length: 3 }, (_, i) => ({ id: `key_${i}`, label: 'bench', api_key_prefix: key.slice(0, 15), scopes: [...SCOPES], created_at: '2026-12-03T10:00:00Z', expires_at: null, last_used_at: null, revoked_at: null, is_active: true }))
  bus.serve(identity.listKeys, async ({ limit, offset }: { limit: number; offset: number }) => ({ tenant_id: 'ten_b', items, limit, offset, total: 3 }))
  const usage = new KeyUsageReporter(bus, 3_600_000)
  const limiter = new RateLimiter({ ratePerSecond: 1e6, burst: 2e6 })
  // Unauthenticated traffic's per-address limiter (issue 15); a baseline from before it ignores it.
  const anonymousLimit = { ratePerSecond: 1000, burst: 2000 }
  const anonymous = { limiter: new RateLimiter(anonymousLimit), limit: anonymousLimit }
  const app = createGatewayApp({ bus, log: serviceLogger('gateway', 'warn'), keys: new KeyCache(5000), limiter, anonymous, usage, adminToken: 'adm_bench_0123456789ab', trustProxy: false })
  void hashApiKey
  const req = () => app.handle(new Request('http://localhost/v1/api-keys?limit=20', { headers: { 'x-api-key': key } }))
  const first = await req()
  if (first.status !== 200) throw new Error(`${root}: GET /v1/api-keys answered ${first.status}: ${await first.text()}`)
  return { req, stop: () => (usage.stop(), limiter.stop(), anonymous.limiter.stop()) }
}

async function round(req: () => Promise<Response>, n: number): Promise<number> {
  const c0 = process.cpuUsage()
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, () => req().then((r) => r.text())))
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / n
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
  const n = Number(process.env.BENCH_REQUESTS ?? 20_000)
  const targets: [string, Awaited<ReturnType<typeof gatewayFrom>>][] = [['this checkout', await gatewayFrom(ROOT)]]
  if (process.env.BENCH_BASELINE) targets.unshift([`baseline (${process.env.BENCH_BASELINE})`, await gatewayFrom(resolve(process.env.BENCH_BASELINE))])
  for (const [, t] of targets) await round(t.req, 2000) // warm-up
  const per = new Map<string, number[]>(targets.map(([name]) => [name, []]))
  for (let r = 0; r < rounds; r++) for (const [name, t] of targets) per.get(name)!.push(await round(t.req, n))
  // On a shared machine a neighbour only ever adds CPU time: the best round is the least disturbed.
  const best = (xs: number[]) => Math.min(...xs)
  console.log(`\nGateway CPU per request through app.handle (GET /v1/api-keys, in-process bus), ${rounds} rounds of ${n} interleaved:\n`)
  console.log(table(['gateway', 'CPU µs per request, median', 'best round', 'quartiles'], targets.map(([name]) => {
    const xs = [...per.get(name)!].sort((x, y) => x - y)
    return [name, fmt(median(xs)), fmt(best(xs)), `${fmt(xs[Math.floor(xs.length / 4)]!)} – ${fmt(xs[Math.floor((3 * xs.length) / 4)]!)}`]
  })))
  if (targets.length === 2) {
    const [b, a] = targets.map(([name]) => per.get(name)!)
    console.log(`\nthis checkout / baseline: median ${fmt((median(a!) / median(b!)) * 100)}%, best round ${fmt((best(a!) / best(b!)) * 100)}%`)
  }
  for (const [, t] of targets) t.stop()
}

if (import.meta.main) await run()
