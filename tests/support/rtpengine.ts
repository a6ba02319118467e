/**
 * A private rtpengine for a test: userspace only (`--table=-1`), no packaged config
 * (`--config-file=none`), its own ng port and RTP port range, deleted calls freed at once
 * (`--delete-delay=0`). Stopped by its own PID. Tests that need it are skipped loudly where the
 * binary is absent (and fail in CI, where .ci/run installs it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { RtpengineClient } from '../../shared/media/rtpengine-client'
import { IN_CI } from './infra'

export function findRtpengine(): string | undefined {
  const fromEnv = process.env.RTPENGINE_BIN
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  return Bun.which('rtpengine') ?? (existsSync('/usr/bin/rtpengine') ? '/usr/bin/rtpengine' : undefined)
}

/** True (and a banner printed) when rtpengine is missing; in CI a missing rtpengine is a failure. */
export function rtpengineMissing(file: string): boolean {
  if (findRtpengine()) return false
  if (IN_CI) throw new Error(`rtpengine not found (${file}); .ci/run installs rtpengine-daemon`)
  console.warn(`\n${'!'.repeat(78)}\n!!! MEDIA TESTS SKIPPED (${file}): rtpengine not found (apt install rtpengine-daemon or set RTPENGINE_BIN).\n${'!'.repeat(78)}\n`)
  return true
}

export interface Rtpengine {
  url: string
  ngPort: number
  portMin: number
  portMax: number
  pid: number
  logFile: string
  client: RtpengineClient
  /** Call-ids it holds now. */
  calls(): Promise<string[]>
  stop(): Promise<void>
  /** Starts it again on the same ports (after stop). */
  restart(): Promise<void>
}

let nextRange = 0

/** Every rtpengine this process started: stopped when it exits, however it exits. */
const live = new Set<Subprocess>()
process.on('exit', () => {
  for (const p of live) if (p.exitCode === null) p.kill('SIGKILL')
})

/** A UDP port range unlikely to collide with other test processes: 200 ports per instance. */
function portRange(): [number, number] {
  // Spread over 30000-59999 by PID and a counter, so parallel test files do not collide.
  const slot = ((process.pid * 7 + nextRange++) % 150) * 200
  return [30000 + slot, 30000 + slot + 199]
}

async function freeUdp(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 })
  const p = s.port
  s.close()
  return p
}

export async function startRtpengine(opts: { interface?: string; extra?: string[]; ports?: [number, number] } = {}): Promise<Rtpengine> {
  const bin = findRtpengine()
  if (!bin) throw new Error('rtpengine not found')
  const dir = mkdtempSync(join(tmpdir(), 'rtpe-'))
  const logFile = join(dir, 'rtpengine.log')
  const ngPort = await freeUdp()
  const [portMin, portMax] = opts.ports ?? portRange()
  let proc: Subprocess | undefined
  const spawn = async () => {
    // Restarting a running instance is a no-op (a second one on the same ports would orphan the first).
    if (proc && proc.exitCode === null && !proc.killed) return
    proc = Bun.spawn(
      [
        bin,
        '--config-file=none',
        '--table=-1',
        `--interface=${opts.interface ?? '127.0.0.1'}`,
        `--listen-ng=127.0.0.1:${ngPort}`,
        `--port-min=${portMin}`,
        `--port-max=${portMax}`,
        '--delete-delay=0',
        '--foreground',
        '--log-stderr',
        '--log-level=6',
        '--num-threads=2',
        ...(opts.extra ?? []),
      ],
      { stdout: 'ignore', stderr: Bun.file(logFile), stdin: 'ignore' },
    )
    const started = proc
    live.add(started)
    void started.exited.then(() => live.delete(started))
    // It answers ping about 0.2 s after start.
    const probe = new RtpengineClient({ host: '127.0.0.1', port: ngPort }, 250)
    try {
      for (let i = 0; i < 100; i++) {
        if (proc.exitCode !== null) throw new Error(`rtpengine exited (${proc.exitCode}): ${readFileSync(logFile, 'utf8').slice(-2000)}`)
        try {
          await probe.ping()
          return
        } catch {
          await Bun.sleep(50)
        }
      }
      throw new Error(`rtpengine did not answer ping: ${readFileSync(logFile, 'utf8').slice(-2000)}`)
    } finally {
      probe.close()
    }
  }
  await spawn()
  const client = new RtpengineClient({ host: '127.0.0.1', port: ngPort }, 1000)
  const stopProc = async () => {
    const p = proc
    if (!p || p.exitCode !== null) return
    p.kill('SIGTERM')
    const t = setTimeout(() => p.kill('SIGKILL'), 3000)
    await p.exited
    clearTimeout(t)
  }
  return {
    url: `udp:127.0.0.1:${ngPort}`,
    ngPort,
    portMin,
    portMax,
    get pid() {
      return proc!.pid
    },
    logFile,
    client,
    calls: () => client.list(),
    stop: stopProc,
    restart: spawn,
  }
}

/** Stops it and removes its directory. */
export async function removeRtpengine(r: Rtpengine | undefined): Promise<void> {
  if (!r) return
  r.client.close()
  await r.stop()
  try {
    rmSync(join(r.logFile, '..'), { recursive: true, force: true })
  } catch {
    // best effort
  }
}
