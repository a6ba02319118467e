/**
 * Helper processes for benchmarks (floors, generators): each is a Bun script that prints
 * `READY {"port":N}` once it serves, and is stopped by its own PID, never by name.
 */
import type { Subprocess } from 'bun'

export interface BenchProcess {
  pid: number
  port: number
  url: string
  /** Every line it wrote, for error reports. */
  lines: string[]
  stop(): Promise<void>
}

async function collect(stream: ReadableStream<Uint8Array>, lines: string[], onLine: (l: string) => void): Promise<void> {
  const dec = new TextDecoder()
  let rest = ''
  for await (const chunk of stream) {
    const parts = (rest + dec.decode(chunk, { stream: true })).split('\n')
    rest = parts.pop() ?? ''
    for (const l of parts) {
      lines.push(l)
      onLine(l)
    }
  }
}

export async function spawnReady(script: string, env: Record<string, string | undefined>, timeoutMs = 15_000): Promise<BenchProcess> {
  const proc: Subprocess<'ignore', 'pipe', 'pipe'> = Bun.spawn(['bun', script], { env: env as Record<string, string>, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const lines: string[] = []
  const stop = async () => {
    if (proc.exitCode !== null) return
    proc.kill('SIGTERM')
    await Promise.race([proc.exited, Bun.sleep(3000)])
    if (proc.exitCode === null) proc.kill('SIGKILL')
  }
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready after ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs)
    const onLine = (l: string) => {
      if (!l.startsWith('READY ')) return
      clearTimeout(timer)
      resolve((JSON.parse(l.slice(6)) as { port: number }).port)
    }
    void collect(proc.stdout, lines, onLine)
    void collect(proc.stderr, lines, () => undefined)
    void proc.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code}:\n${lines.slice(-20).join('\n')}`))
    })
  }).catch(async (e) => {
    await stop()
    throw e
  })
  return { pid: proc.pid, port, url: `http://127.0.0.1:${port}`, lines, stop }
}

/** Stops every process on SIGINT too, so an interrupted run leaves nothing behind. */
export function stopAllOnInterrupt(stops: (() => Promise<void>)[]): () => void {
  const handler = () => {
    void Promise.allSettled(stops.map((s) => s())).then(() => process.exit(130))
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
