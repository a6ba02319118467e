/**
 * Start-up failures an operator can fix (a port taken, NATS or PostgreSQL unreachable) end the
 * process with one line naming the variable and the address, not a stack trace.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StartupError'
  }
}

/** A database URL without its password, for messages. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string }
  const text = err?.code && !String(err.message ?? '').includes(err.code) ? `${err.code}: ${err.message ?? ''}` : String(err?.message ?? e)
  return text.split('\n')[0]!.slice(0, 200)
}

/** Runs a start-up step; its failure becomes a StartupError naming `variable` and `address`. */
export async function step<T>(what: string, variable: string, address: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof StartupError) throw e
    throw new StartupError(`cannot reach ${what} at ${address} (${variable}): ${reason(e)}`)
  }
}

/** Listens, refusing (instead of sharing) a port another process holds. */
export function listenOrFail<T>(variable: string, port: number, listen: () => T): T {
  try {
    return listen()
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') throw new StartupError(`${variable} ${port} is already in use: is another instance running? (set ${variable} to a free port)`)
    throw e
  }
}

/** Entry points: a StartupError prints its one line and exits 2; anything else is a bug and throws. */
export async function exitOnStartupError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof StartupError) {
      process.stderr.write(`${e.message}\n`)
      process.exit(2)
    }
    throw e
  }
}

/**
 * Fails at once if a port is taken, before slow start-up work (the embedded database) happens;
 * the real listen still refuses a shared port, this only makes the refusal quick.
 */
export function ensurePortFree(variable: string, port: number): void {
  if (port === 0) return
  const probe = listenOrFail(variable, port, () => Bun.serve({ port, hostname: '0.0.0.0', reusePort: false, fetch: () => new Response() }))
  probe.stop(true)
}
