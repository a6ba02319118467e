/** A bounded closed-loop load for fault tests: N workers repeating one request until stopped. */
export interface LoadResult {
  statuses: Map<number | 'network_error', number>
  total: number
}

export function runLoad(opts: { workers: number; request: (i: number) => Promise<number>; maxMs?: number }) {
  const statuses = new Map<number | 'network_error', number>()
  let running = true
  let total = 0
  const deadline = Date.now() + (opts.maxMs ?? 30_000)
  const workers = Array.from({ length: opts.workers }, async (_, w) => {
    let i = 0
    while (running && Date.now() < deadline) {
      let s: number | 'network_error'
      try {
        s = await opts.request(w * 1_000_000 + i++)
      } catch {
        s = 'network_error'
        await Bun.sleep(10)
      }
      statuses.set(s, (statuses.get(s) ?? 0) + 1)
      total++
    }
  })
  return {
    get total() {
      return total
    },
    async stop(): Promise<LoadResult> {
      running = false
      await Promise.all(workers)
      return { statuses, total }
    },
  }
}
