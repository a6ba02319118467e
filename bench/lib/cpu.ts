/**
 * CPU accounting from /proc (Linux): how much CPU each of our processes, and the whole machine,
 * used during a measurement. Divided by the requests served, it says where a request's cost goes
 * (gateway, service, floor processes; the rest is PostgreSQL, NATS and the load generator).
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_S = 100 // USER_HZ: 100 on every mainstream Linux build

function procTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12]) // utime + stime
  } catch {
    return Number.NaN
  }
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
  return { busy: total - idle, total }
}

/** PIDs whose command name is `comm` (read-only: to account shared servers such as nats-server). */
export function pidsByComm(comm: string): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) out.push(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/** Named groups of processes; a group's CPU is the sum over its PIDs. */
export type PidGroups = Record<string, number | number[]>

export interface CpuSample {
  /** Ticks per group, per PID (a PID that is gone reads as NaN). */
  procs: Record<string, Map<number, number>>
  machine: { busy: number; total: number }
}

export function sampleCpu(pids: PidGroups): CpuSample {
  const procs: Record<string, Map<number, number>> = {}
  for (const [name, p] of Object.entries(pids)) procs[name] = new Map(([] as number[]).concat(p).map((pid) => [pid, procTicks(pid)]))
  return { procs, machine: machineTicks() }
}

export interface CpuUsage {
  /** CPU seconds per named group over the interval. */
  procSeconds: Record<string, number>
  /** CPU seconds the whole machine was busy (all cores). */
  machineBusySeconds: number
  /** Share of all cores that was busy, 0–1. */
  machineBusyShare: number
}

export function cpuSince(before: CpuSample, pids: PidGroups): CpuUsage {
  const after = sampleCpu(pids)
  const procSeconds: Record<string, number> = {}
  for (const name of Object.keys(pids)) {
    let ticks = 0
    // A process that came or went meanwhile (a pooled connection closing) is left out, not NaN.
    for (const [pid, t1] of after.procs[name]!) {
      const t0 = before.procs[name]!.get(pid)
      if (t0 !== undefined && Number.isFinite(t0) && Number.isFinite(t1)) ticks += t1 - t0
    }
    procSeconds[name] = ticks / TICKS_PER_S
  }
  const busy = after.machine.busy - before.machine.busy
  const total = after.machine.total - before.machine.total
  return { procSeconds, machineBusySeconds: busy / TICKS_PER_S, machineBusyShare: total > 0 ? busy / total : Number.NaN }
}

/**
 * Waits (at most `maxWaitMs`) until the machine has been nearly idle for `windowMs`: on a shared
 * machine a run that starts while a neighbour is busy measures the neighbour. Returns the cores
 * busy in the last window, whether or not it got quiet.
 */
export async function waitForQuiet(opts: { thresholdCores?: number; windowMs?: number; maxWaitMs?: number } = {}): Promise<number> {
  const threshold = opts.thresholdCores ?? 0.25
  const windowMs = opts.windowMs ?? 500
  const deadline = performance.now() + (opts.maxWaitMs ?? 3000)
  for (;;) {
    const a = machineTicks()
    await Bun.sleep(windowMs)
    const b = machineTicks()
    const total = b.total - a.total
    const cores = total > 0 ? ((b.busy - a.busy) / total) * navigator.hardwareConcurrency : 0
    if (cores <= threshold || performance.now() >= deadline) return cores
  }
}
