/** sessions' Prometheus metrics, on the process-wide registry (served at /metrics). */
import { promClient, registry } from '../../shared/metrics'
import type { EndReason } from './session-store'

/** Counters of the open sessions, one per running sessions service in this process (the newest is asked). */
const openCounters = new Set<() => Promise<number>>()
/** How long a scrape waits for the count before keeping the last value (the database may be down). */
const COUNT_TIMEOUT_MS = 1000

export const openSessions = new promClient.Gauge({
  name: 'sessions_open',
  help: 'Open, not yet expired sessions in the whole database (every sessions instance reports the same figure: take max, not sum)',
  registers: [registry],
  async collect() {
    const count = [...openCounters].at(-1)
    if (!count) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), COUNT_TIMEOUT_MS)
    })
    const counted = count().then(
      (n) => n,
      () => undefined,
    )
    const n = await Promise.race([counted, timedOut]).finally(() => clearTimeout(timer))
    // Database unreachable or slow: keep the last value rather than fail the scrape.
    if (n !== undefined) this.set(n)
  },
})

/** Makes `sessions_open` ask `count` at scrape time; returns how to stop. */
export function countOpenSessionsWith(count: () => Promise<number>): () => void {
  openCounters.add(count)
  return () => void openCounters.delete(count)
}

export const sessionsCreated = new promClient.Counter({
  name: 'sessions_created_total',
  help: 'Sessions created by this instance (idempotent replays not counted)',
  registers: [registry],
})

export const sessionsEnded = new promClient.Counter({
  name: 'sessions_ended_total',
  help: 'Sessions ended by this instance, by reason (completed, expired, number_released)',
  labelNames: ['reason'] as const,
  registers: [registry],
})

for (const reason of ['completed', 'expired', 'number_released'] satisfies EndReason[]) sessionsEnded.inc({ reason }, 0)

/** Counts ended sessions by their end reason. */
export function countEnded(rows: readonly { endReason: EndReason | null }[]): void {
  for (const r of rows) if (r.endReason) sessionsEnded.inc({ reason: r.endReason })
}
