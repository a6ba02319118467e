/**
 * `bun run bench [name…]`: runs every benchmark in bench/ (each `bench/<name>.ts` exporting
 * `run()`), or only the named ones. Benchmarks are not tests: they start real processes against
 * the real NATS and PostgreSQL and print Markdown figures (see bench/RESULTS.md).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

interface BenchmarkModule {
  run?: () => Promise<void>
}

const available = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort()

const wanted = process.argv.slice(2)
for (const w of wanted) {
  if (!available.includes(w)) {
    process.stderr.write(`bench: no benchmark named ${w} (available: ${available.join(', ')})\n`)
    process.exit(2)
  }
}

let failed = 0
for (const name of wanted.length ? wanted : available) {
  const mod = (await import(join(import.meta.dir, `${name}.ts`))) as BenchmarkModule
  if (typeof mod.run !== 'function') {
    process.stderr.write(`bench: ${name}.ts exports no run(); skipped\n`)
    continue
  }
  process.stderr.write(`bench: ${name}\n`)
  try {
    await mod.run()
  } catch (e) {
    failed++
    process.stderr.write(`bench: ${name} failed: ${(e as Error)?.stack ?? e}\n`)
  }
}
process.exit(failed ? 1 : 0)
