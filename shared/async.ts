/** The two waiting shapes the services repeat: try again with a growing pause, and wait at most so long. */

export interface RetryOptions {
  /** Tries in all (the first included). */
  attempts: number
  /** The pause after failed try `n` (1-based) is `baseDelayMs · 2ⁿ`. */
  baseDelayMs: number
}

/** `run`'s result, tried up to `attempts` times; the last failure is thrown. */
export async function retry<T>(run: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt)
    } catch (e) {
      if (attempt >= o.attempts) throw e
      await Bun.sleep(o.baseDelayMs * 2 ** attempt)
    }
  }
}

/** Whether `p` fulfils within `ms` (false on timeout; a rejection is thrown); the timer never outlives the wait. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = Promise.withResolvers<boolean>()
  const timer = setTimeout(() => timeout.resolve(false), ms)
  try {
    return await Promise.race([p.then(() => true), timeout.promise])
  } finally {
    clearTimeout(timer)
  }
}
