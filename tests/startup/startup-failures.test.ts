/**
 * Start-up failures an operator can fix end the process with one line naming the variable and
 * the address: a port already in use (a second `bun start` must not share it and split traffic
 * with the first), NATS or PostgreSQL unreachable.
 */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { freeTcpPort as freePort } from '../sip/support'

const ROOT = join(import.meta.dir, '../..')

async function run(entry: string, env: Record<string, string>, timeoutMs = 60_000) {
  const proc = Bun.spawn(['bun', join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'error', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  clearTimeout(timer)
  return { code, out, errLines: err.split('\n').filter(Boolean) }
}

describe('start-up failures say what to fix, in one line', () => {
  test('a second `bun start` on a port in use refuses to start, naming the port', async () => {
    // What a first platform holds: a listener with SO_REUSEPORT, as Elysia's default listen makes.
    const first = Bun.serve({ port: 0, hostname: '0.0.0.0', reusePort: true, fetch: () => new Response('first') })
    const dir = `/tmp/startup-${process.pid}-${Date.now()}`
    try {
      const r = await run('services/all-in-one/main.ts', { PORT: String(first.port), OPS_PORT: '0', DATA_DIR: dir, ADMIN_TOKEN: 'adm_startup_test_token_0123456789' })
      expect(r.code).toBe(2)
      expect(r.errLines).toEqual([`PORT ${first.port} is already in use: is another instance running? (set PORT to a free port)`])
      expect(await (await fetch(`http://127.0.0.1:${first.port}/`)).text()).toBe('first')
    } finally {
      first.stop(true)
      await Bun.$`rm -rf ${dir}`.quiet().nothrow()
    }
  }, 90_000)

  test('NATS unreachable: one line naming NATS_URL and the address', async () => {
    const port = await freePort()
    const r = await run('services/gateway/main.ts', { NATS_URL: `nats://127.0.0.1:${port}`, PORT: '0', OPS_PORT: '0' })
    expect(r.code).toBe(2)
    expect(r.errLines).toHaveLength(1)
    expect(r.errLines[0]).toStartWith(`cannot reach NATS at nats://127.0.0.1:${port} (NATS_URL): `)
  })

  test('PostgreSQL unreachable: one line naming DATABASE_URL and the address, without the password', async () => {
    const port = await freePort()
    const r = await run('services/identity/main.ts', { SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'), NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: `postgres://svc:hunter2@127.0.0.1:${port}/masking`, PORT: '0' })
    expect(r.code).toBe(2)
    expect(r.errLines).toHaveLength(1)
    expect(r.errLines[0]).toStartWith(`cannot reach PostgreSQL at postgres://svc:***@127.0.0.1:${port}/masking (DATABASE_URL): `)
    expect(r.errLines[0]).not.toContain('hunter2')
  })
})

describe('DRACHTIO_SECRET has no default outside all-in-one', () => {
  test('call-control with DRACHTIO_HOST and no DRACHTIO_SECRET stops, naming the variable', async () => {
    const r = await run('services/call-control/main.ts', { DRACHTIO_HOST: '127.0.0.1', SIP_OUTBOUND_TRUNK: '127.0.0.1:5070', NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' })
    expect(r.code).toBe(2)
    expect(r.errLines).toEqual(["config error: DRACHTIO_SECRET is required when DRACHTIO_HOST is set (drachtio-server's shared secret)"])
  })
})

describe('SIP is never on without media anchoring', () => {
  test('call-control with DRACHTIO_HOST and no RTPENGINE_URLS stops, naming the variable', async () => {
    const r = await run('services/call-control/main.ts', {
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_SECRET: 's3cret',
      SIP_OUTBOUND_TRUNK: '127.0.0.1:5070',
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    })
    expect(r.code).toBe(2)
    expect(r.errLines).toEqual(['config error: RTPENGINE_URLS is required when DRACHTIO_HOST is set (udp:host:port, comma-separated): calls are never bridged without media anchoring'])
  })

  test('a malformed RTPENGINE_URLS entry stops call-control, naming it', async () => {
    const r = await run('services/call-control/main.ts', { RTPENGINE_URLS: 'udp:10.0.0.1:22222,tcp:x', NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' })
    expect(r.code).toBe(2)
    expect(r.errLines.join('\n')).toContain('RTPENGINE_URLS')
    expect(r.errLines.join('\n')).toContain('"tcp:x"')
  })
})
