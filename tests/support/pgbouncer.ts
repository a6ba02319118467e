/**
 * A private PgBouncer (Debian's `pgbouncer`) in transaction mode on a free port, in front of the
 * test PostgreSQL: what production runs between the services and the database
 * (docs/operations.md). It refuses to run as root, so as root it runs as the postgres user.
 */
import type { Subprocess } from 'bun'
import { PG_ADMIN_URL } from './infra'

export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? (Bun.which('pgbouncer') || (Bun.file('/usr/sbin/pgbouncer').size > 0 ? '/usr/sbin/pgbouncer' : undefined))

export class PrivatePgBouncer {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly proc: Subprocess,
  ) {}

  /** `url` with its host and port replaced by this PgBouncer's. */
  via(url: string): string {
    const u = new URL(url)
    u.hostname = '127.0.0.1'
    u.port = String(this.port)
    return u.toString()
  }

  static async start(opts: { poolSize?: number } = {}): Promise<PrivatePgBouncer> {
    if (!PGBOUNCER_BIN) throw new Error('pgbouncer not found (apt-get install pgbouncer)')
    const s = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = s.port!
    s.stop(true)
    const pg = new URL(PG_ADMIN_URL)
    const dir = `/tmp/masking-pgbouncer-${port}-${Date.now()}`
    await Bun.$`mkdir -p ${dir}`.quiet()
    await Bun.write(`${dir}/users.txt`, `"${pg.username || 'postgres'}" ""\n`)
    await Bun.write(
      `${dir}/pgbouncer.ini`,
      [
        '[databases]',
        `* = host=${pg.hostname} port=${pg.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${dir}/users.txt`,
        'pool_mode = transaction',
        'max_client_conn = 1000',
        `default_pool_size = ${opts.poolSize ?? 20}`,
        // Sent by some drivers at connect; PgBouncer refuses unknown startup parameters otherwise.
        'ignore_startup_parameters = extra_float_digits,options',
        `logfile = ${dir}/pgbouncer.log`,
        '',
      ].join('\n'),
    )
    const root = process.getuid?.() === 0
    if (root) await Bun.$`chown -R postgres ${dir}`.quiet()
    const cmd = root ? ['runuser', '-u', 'postgres', '--', PGBOUNCER_BIN, `${dir}/pgbouncer.ini`] : [PGBOUNCER_BIN, `${dir}/pgbouncer.ini`]
    const proc = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'pipe' })
    const b = new PrivatePgBouncer(port, dir, proc)
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`pgbouncer exited: ${await new Response(proc.stderr).text()}`)
      try {
        const c = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
        c.end()
        return b
      } catch {
        await Bun.sleep(50)
      }
    }
    await b.stop()
    throw new Error('pgbouncer did not start')
  }

  /** What PgBouncer wrote to its log (errors it saw from clients and servers). */
  async log(): Promise<string> {
    return Bun.file(`${this.dir}/pgbouncer.log`).text().catch(() => '')
  }

  async stop(): Promise<void> {
    // runuser forwards SIGTERM to pgbouncer and exits with it.
    this.proc.kill('SIGTERM')
    await Promise.race([this.proc.exited, Bun.sleep(3000)])
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL')
    await Bun.$`rm -rf ${this.dir}`.quiet().nothrow()
  }
}
