/** A private nats-server on a free port, for tests that stop and restart NATS. */
import type { Subprocess } from 'bun'

const BIN = process.env.NATS_SERVER_BIN ?? (Bun.which('nats-server') || '/usr/sbin/nats-server')

export class PrivateNats {
  private proc?: Subprocess
  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  static async start(): Promise<PrivateNats> {
    const s = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = s.port!
    s.stop(true)
    const n = new PrivateNats(port)
    await n.start()
    return n
  }

  async start(): Promise<void> {
    this.proc = Bun.spawn([BIN, '-a', '127.0.0.1', '-p', String(this.port)], { stdout: 'ignore', stderr: 'ignore' })
    for (let i = 0; i < 100; i++) {
      try {
        const c = await Bun.connect({ hostname: '127.0.0.1', port: this.port, socket: { data() {} } })
        c.end()
        return
      } catch {
        await Bun.sleep(50)
      }
    }
    throw new Error('nats-server did not start')
  }

  async stop(): Promise<void> {
    this.proc?.kill('SIGKILL')
    await this.proc?.exited
  }
}
