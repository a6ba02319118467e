/**
 * A real Kamailio (Debian's `kamailio`) with the platform's load-balancer config
 * (infra/kamailio/kamailio.cfg) on free ports, in front of the given drachtio-servers, for the
 * scale-out test. Stopped by its own PID.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freeUdpPort } from './support'

export function findKamailio(): string | undefined {
  return process.env.KAMAILIO_BIN ?? Bun.which('kamailio') ?? (Bun.file('/usr/sbin/kamailio').size > 0 ? '/usr/sbin/kamailio' : undefined)
}

export const KAMAILIO_CFG = join(import.meta.dir, '../../infra/kamailio/kamailio.cfg')

export interface Kamailio {
  port: number
  logFile: string
  log(): string
  stop(): Promise<void>
}

export async function startKamailio(o: { dir: string; members: string[]; pingIntervalS: number; frTimerMs: number }): Promise<Kamailio> {
  const bin = findKamailio()!
  const port = await freeUdpPort()
  const list = join(o.dir, 'dispatcher.list')
  writeFileSync(list, o.members.map((m) => `1 sip:${m} 0 0\n`).join(''))
  const logFile = join(o.dir, 'kamailio.log')
  const proc: Subprocess = Bun.spawn(
    [
      bin,
      '-f',
      KAMAILIO_CFG,
      '-DD', // stay in the foreground (children still forked)
      '-E', // log to stderr
      '-Y',
      o.dir, // runtime dir (control sockets), not /run/kamailio
      '-m',
      '64',
      '-M',
      '8',
      '-A',
      `DISPATCHER_LIST="${list}"`,
      '-A',
      `PING_INTERVAL=${o.pingIntervalS}`,
      '-A',
      `FR_TIMER_MS=${o.frTimerMs}`,
      '-A',
      `LISTEN=udp:127.0.0.1:${port}`,
      '-A',
      `CTL_SOCKET="unix:${join(o.dir, 'kamailio_ctl')}"`,
    ],
    { stdout: Bun.file(logFile), stderr: Bun.file(`${logFile}.err`), stdin: 'ignore' },
  )
  const k: Kamailio = {
    port,
    logFile,
    log: () => {
      try {
        return readFileSync(`${logFile}.err`, 'utf8')
      } catch {
        return ''
      }
    },
    async stop() {
      if (proc.exitCode !== null) return
      proc.kill('SIGTERM')
      await Promise.race([proc.exited, Bun.sleep(3000)])
      if (proc.exitCode === null) proc.kill('SIGKILL')
      await proc.exited
    },
  }
  const deadline = Date.now() + 10_000
  while (!/INFO: <core> \[main\.c|Listening on|dispatcher/i.test(k.log()) || !(await udpAnswers(port))) {
    if (proc.exitCode !== null) throw new Error(`kamailio exited with ${proc.exitCode}: ${k.log().slice(-3000)}`)
    if (Date.now() > deadline) throw new Error(`kamailio did not answer on ${port}: ${k.log().slice(-3000)}`)
    await Bun.sleep(100)
  }
  return k
}

/** Kamailio answers an OPTIONS addressed to itself with 200 (kamailio.cfg): it is up. */
async function udpAnswers(port: number): Promise<boolean> {
  const { createSocket } = await import('node:dgram')
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => {
      s.close()
      resolve(false)
    }, 300)
    s.on('message', (m) => {
      clearTimeout(timer)
      s.close()
      resolve(m.toString().startsWith('SIP/2.0 200'))
    })
    s.bind(0, '127.0.0.1', () => {
      const lp = s.address().port
      const msg = [
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=${Math.random().toString(36).slice(2)}`,
        `To: <sip:127.0.0.1:${port}>`,
        `Call-ID: ${Math.random().toString(36).slice(2)}@probe`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n')
      s.send(msg, port, '127.0.0.1')
    })
  })
}
