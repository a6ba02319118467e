/**
 * SIP test harness: a real drachtio-server (found via DRACHTIO_BIN or PATH, never shipped with the
 * repo) on free ports with its own minimal config in a temp dir, and SIPp runs whose final
 * statistics and message traces the tests read. Every process is stopped by its own PID.
 */
import { createSocket } from 'node:dgram'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import type { ServiceDefinition } from '../../shared/service'
import { startTestPlatform, type TestPlatform } from '../support/platform'
import { findRtpengine, removeRtpengine, startRtpengine, type Rtpengine } from '../support/rtpengine'

/** The drachtio binary, or undefined (then the SIP tests are skipped, loudly). */
export function findDrachtio(): string | undefined {
  const fromEnv = process.env.DRACHTIO_BIN
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  return Bun.which('drachtio') ?? undefined
}

export function findSipp(): string | undefined {
  return process.env.SIPP_BIN ?? Bun.which('sipp') ?? undefined
}

/** Prints the skip banner once per file when drachtio or sipp is missing. */
export function warnIfSkipped(file: string): boolean {
  const drachtio = findDrachtio()
  const sipp = findSipp()
  // Every SIP call is anchored through rtpengine: without it there is no SIP test to run.
  const rtpengine = findRtpengine()
  if (drachtio && sipp && rtpengine) return false
  const missing = [
    !drachtio && 'drachtio-server (set DRACHTIO_BIN or put `drachtio` on PATH)',
    !sipp && 'sipp (put it on PATH or set SIPP_BIN)',
    !rtpengine && 'rtpengine (apt install rtpengine-daemon or set RTPENGINE_BIN)',
  ].filter(Boolean)
  console.warn(
    `\n${'!'.repeat(78)}\n!!! SIP TESTS SKIPPED (${file}): ${missing.join(' and ')} not found.\n` +
      `!!! These tests drive calls through a real drachtio-server with SIPp; they did NOT run.\n${'!'.repeat(78)}\n`,
  )
  return true
}

export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    s.once('error', reject)
    s.bind(0, address, () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

export async function freeTcpPort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

export interface Drachtio {
  adminPort: number
  sipPort: number
  secret: string
  pid: number
  logFile: string
  stop(): Promise<void>
}

/**
 * Starts drachtio-server on 127.0.0.1 with a fresh minimal config (or on the ports of an earlier
 * one, to restart it); resolves once it accepts application connections.
 */
export async function startDrachtio(
  bin: string,
  dir: string,
  again?: Pick<Drachtio, 'adminPort' | 'sipPort' | 'secret'>,
  o: { /** A config file to run with (default: a minimal one at log level info). */ conf?: string } = {},
): Promise<Drachtio> {
  const adminPort = again?.adminPort ?? (await freeTcpPort())
  const sipPort = again?.sipPort ?? (await freeUdpPort())
  const secret = again?.secret ?? `s${Math.random().toString(36).slice(2, 10)}`
  let conf = o.conf
  if (!conf) {
    conf = join(dir, 'drachtio.conf.xml')
    writeFileSync(conf, '<drachtio><admin/></drachtio>\n')
  }
  const logFile = join(dir, `drachtio-${adminPort}.log`)
  const proc = Bun.spawn(
    [
      bin,
      '-f',
      conf,
      '--address',
      '127.0.0.1',
      '--port',
      String(adminPort),
      '--secret',
      secret,
      '--contact',
      `sip:127.0.0.1:${sipPort};transport=udp`,
      ...(o.conf ? [] : ['--loglevel', 'info']),
      '--stdout',
    ],
    // drachtio logs to stderr: into the file (an unread pipe would fill up and stall the server).
    { stdout: 'ignore', stderr: Bun.file(logFile), stdin: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  while (!(await tcpOpen(adminPort))) {
    if (proc.exitCode !== null) throw new Error(`drachtio exited with ${proc.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`)
    if (Date.now() > deadline) throw new Error('drachtio did not open its admin port')
    await Bun.sleep(50)
  }
  return { adminPort, sipPort, secret, pid: proc.pid, logFile, stop: () => stopProcess(proc) }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

async function stopProcess(proc: Pick<Subprocess, 'exitCode' | 'kill' | 'exited'>): Promise<void> {
  if (proc.exitCode !== null) return
  proc.kill('SIGTERM')
  await Promise.race([proc.exited, Bun.sleep(3000)])
  if (proc.exitCode === null) proc.kill('SIGKILL')
  await proc.exited
}

/** A temp dir for a test's files; SIP_KEEP_TMP=1 keeps it (SIPp traces, drachtio log) for a post-mortem. */
export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `masking-${label}-`))
  return {
    dir,
    remove: () => {
      if (process.env.SIP_KEEP_TMP === '1') console.log(`[sip] kept ${dir}`)
      else rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface SippResult {
  exitCode: number
  successful: number
  failed: number
  /** The final statistics lines worth quoting ("Successful call", "Failed call", …). */
  summary: string
  /** Every SIP message sent and received, as SIPp traced it. */
  messages: string
  /** CPU time SIPp used (user + system), ms. */
  cpuMs: number
}

export interface SippRun {
  pid: number
  done: Promise<SippResult>
  stop(): Promise<void>
}

export interface SippOptions {
  scenario: string
  /** A label for the files (screens, message trace). */
  name: string
  dir: string
  /** Local address and port SIPp binds. */
  localIp?: string
  localPort: number
  /** host:port to send to (UAC); absent for a UAS. */
  remote?: string
  /** -s: the Request-URI user (the number dialled). */
  service?: string
  calls?: number
  rate?: number
  keys?: Record<string, string>
  timeoutS?: number
  extra?: string[]
}

/** Runs SIPp in the background with a scenario file; `done` resolves with its final statistics. */
export async function runSipp(o: SippOptions): Promise<SippRun> {
  const sipp = findSipp()!
  const screen = join(o.dir, `${o.name}.screen.log`)
  const messageFile = join(o.dir, `${o.name}.messages.log`)
  const mediaPort = await freeUdpPort(o.localIp ?? '127.0.0.1')
  const args = [
    sipp,
    ...(o.remote ? [o.remote] : []),
    '-sf',
    o.scenario,
    '-i',
    o.localIp ?? '127.0.0.1',
    '-p',
    String(o.localPort),
    '-mp',
    String(mediaPort),
    '-m',
    String(o.calls ?? 1),
    '-nostdin',
    '-trace_screen',
    '-screen_file',
    screen,
    '-trace_msg',
    '-message_file',
    messageFile,
    '-timeout',
    `${o.timeoutS ?? 30}s`,
    '-timeout_error',
    ...(o.service ? ['-s', o.service] : []),
    ...(o.rate ? ['-r', String(o.rate)] : []),
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(o.extra ?? []),
  ]
  const proc = Bun.spawn(args, { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', cwd: o.dir })
  const done = (async () => {
    const exitCode = await proc.exited
    const screenText = existsSync(screen) ? readFileSync(screen, 'utf8') : ''
    const messages = existsSync(messageFile) ? readFileSync(messageFile, 'utf8') : ''
    const cumulative = (label: string) => {
      const lines = screenText.split('\n').filter((l) => l.trimStart().startsWith(label))
      const last = lines.at(-1)
      const cells = last?.split('|') ?? []
      return Number(cells[2]?.trim() ?? 'NaN')
    }
    const summary = screenText
      .split('\n')
      .filter((l) => /^\s*(Successful call|Failed call|Total Call created|Call Length|Response Time)/.test(l))
      .slice(-5)
      .map((l) => l.replace(/\s+\|/g, ' |').trim())
      .join('\n')
    const cpuMs = Number(proc.resourceUsage()?.cpuTime.total ?? 0n) / 1000
    return { exitCode, successful: cumulative('Successful call'), failed: cumulative('Failed call'), summary, messages, cpuMs }
  })()
  return { pid: proc.pid, done, stop: () => stopProcess(proc) }
}

/** The INVITE requests in a SIPp message trace, each with its first line and headers. */
export function invitesIn(trace: string): { requestUri: string; headers: Record<string, string>; body: string }[] {
  const out: { requestUri: string; headers: Record<string, string>; body: string }[] = []
  for (const m of trace.matchAll(/message received \[\d+\] bytes :\s*\n\n?(INVITE [^\n]*\n[\s\S]*?)(?=\n-{5,}|$)/g)) {
    const text = m[1]!.replace(/\r/g, '')
    const [head, body = ''] = text.split('\n\n')
    const [first, ...lines] = head!.split('\n')
    const headers: Record<string, string> = {}
    for (const l of lines) {
      const i = l.indexOf(':')
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
    }
    out.push({ requestUri: first!.split(' ')[1]!, headers, body })
  }
  return out
}

/** Writes a scenario into the temp dir and returns its path. */
export function scenarioFile(dir: string, name: string, xml: string): string {
  const path = join(dir, `${name}.xml`)
  writeFileSync(path, xml)
  return path
}

/**
 * SIP for a test platform that is not about SIP (e.g. the contract test's originate → 200): a
 * drachtio-server if one is found, with the trunk pointed at a port nobody answers on, so calls
 * are placed and fail fast. Without drachtio the env is empty and originate answers 503.
 */
export async function optionalSipEnv(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const bin = findDrachtio()
  if (!bin || !findRtpengine()) return { env: {}, stop: async () => undefined }
  const tmp = tempDir('sip-env')
  const dr = await startDrachtio(bin, tmp.dir)
  const rtpe = await startRtpengine()
  return {
    env: {
      RTPENGINE_URLS: rtpe.url,
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(dr.adminPort),
      DRACHTIO_SECRET: dr.secret,
      SIP_OUTBOUND_TRUNK: `127.0.0.1:${await freeUdpPort()}`,
      SIP_TRUSTED_SOURCES: '127.0.0.1/32',
      DTMF_EVENTS_LISTEN: '127.0.0.1:0',
      RING_TIMEOUT_S: '3',
      SIP_DRAIN_TIMEOUT_S: '2',
    },
    async stop() {
      await dr.stop()
      await removeRtpengine(rtpe)
      tmp.remove()
    },
  }
}

export interface SipPlatform {
  tmp: ReturnType<typeof tempDir>
  dr: Drachtio
  tp: TestPlatform
  /** The UDP port the trunk (a SIPp UAS standing for the called party) listens on. */
  trunkPort: number
  /** The platform's own rtpengine (absent when the test passed RTPENGINE_URLS itself). */
  rtpengine?: Rtpengine
  stop(): Promise<void>
}

/**
 * A drachtio-server on free ports and a test platform with SIP on it (trunk on a free local port,
 * 127.0.0.1 trusted unless `env` says otherwise); resolves once call-control is connected.
 */
export async function startSipPlatform(label: string, services: ServiceDefinition[], env: Record<string, string> = {}, o: { drachtioConf?: string } = {}): Promise<SipPlatform> {
  const tmp = tempDir(label)
  const dr = await startDrachtio(findDrachtio()!, tmp.dir, undefined, { conf: o.drachtioConf })
  const trunkPort = await freeUdpPort()
  const rtpengine = env.RTPENGINE_URLS ? undefined : await startRtpengine()
  const tp = await startTestPlatform(services, {
    ...(rtpengine ? { RTPENGINE_URLS: rtpengine.url } : {}),
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(dr.adminPort),
    DRACHTIO_SECRET: dr.secret,
    SIP_OUTBOUND_TRUNK: `127.0.0.1:${trunkPort}`,
    SIP_TRUSTED_SOURCES: '127.0.0.1/32',
    // A port of its own (rtpengine's --dtmf-log-dest must name it where DTMF matters).
    DTMF_EVENTS_LISTEN: '127.0.0.1:0',
    ...env,
  })
  const cc = tp.platform.running.get('call-control')!
  const deadline = Date.now() + 10_000
  while (!(await cc.ready!()).sip) {
    if (Date.now() > deadline) throw new Error('call-control did not connect to drachtio')
    await Bun.sleep(50)
  }
  return {
    tmp,
    dr,
    tp,
    trunkPort,
    ...(rtpengine ? { rtpengine } : {}),
    async stop() {
      await tp.stop()
      await dr.stop()
      await removeRtpengine(rtpengine)
      tmp.remove()
    },
  }
}
