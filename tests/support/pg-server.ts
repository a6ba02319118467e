/**
 * A private PostgreSQL server on a free port (its own data folder under /tmp), for tests that
 * stop and restart the database without disturbing the shared one.
 */
import { readdirSync } from 'node:fs'

function binDir(): string | undefined {
  try {
    const v = readdirSync('/usr/lib/postgresql').sort().pop()
    return v ? `/usr/lib/postgresql/${v}/bin` : undefined
  } catch {
    return undefined
  }
}

export const PG_BIN = process.env.PG_BIN ?? binDir()

export class PrivatePostgres {
  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  static available(): boolean {
    return !!PG_BIN && Bun.file(`${PG_BIN}/initdb`).size > 0
  }

  static async start(): Promise<PrivatePostgres> {
    const s = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = s.port!
    s.stop(true)
    const dir = `/tmp/masking-pg-${port}-${Date.now()}`
    // initdb refuses to run as root: run the server as the postgres user when we are root.
    await Bun.$`mkdir -p ${dir} && chown postgres ${dir} 2>/dev/null || true`.quiet()
    await as(`${PG_BIN}/initdb -D ${dir}/data -U postgres -A trust --no-sync`)
    const pg = new PrivatePostgres(port, dir)
    await pg.start()
    return pg
  }

  async start(): Promise<void> {
    await as(`${PG_BIN}/pg_ctl -D ${this.dir}/data -l ${this.dir}/log -w -o "-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off" start`)
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await as(`${PG_BIN}/pg_ctl -D ${this.dir}/data -m ${mode} -w stop`).catch(() => undefined)
  }

  async destroy(): Promise<void> {
    await this.stop('immediate')
    await Bun.$`rm -rf ${this.dir}`.quiet().nothrow()
  }
}

async function as(cmd: string): Promise<void> {
  const root = process.getuid?.() === 0
  const r = root ? await Bun.$`runuser -u postgres -- sh -c ${cmd}`.quiet().nothrow() : await Bun.$`sh -c ${cmd}`.quiet().nothrow()
  if (r.exitCode !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`)
}
