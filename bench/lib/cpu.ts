/**
 * CPU accounting from /proc (Linux): how much CPU each of our processes, and the whole machine,
 * used during a measurement. Divided by the requests served, it says where a request's cost goes
 * (gateway, service, floor processes; the rest is PostgreSQL, NATS and the load generator).
 */
import { readFileSync } from 'node:fs'

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

export interface CpuSample {
  procs: Record<string, number>
  machine: { busy: number; total: number }
}

export function sampleCpu(pids: Record<string, number>): CpuSample {
  const procs: Record<string, number> = {}
  for (const [name, pid] of Object.entries(pids)) procs[name] = procTicks(pid)
  return { procs, machine: machineTicks() }
}

export interface CpuUsage {
  /** CPU seconds per named process over the interval. */
  procSeconds: Record<string, number>
  /** CPU seconds the whole machine was busy (all cores). */
  machineBusySeconds: number
  /** Share of all cores that was busy, 0–1. */
  machineBusyShare: number
}

export function cpuSince(before: CpuSample, pids: Record<string, number>): CpuUsage {
  const after = sampleCpu(pids)
  const procSeconds: Record<string, number> = {}
  for (const name of Object.keys(pids)) procSeconds[name] = (after.procs[name]! - before.procs[name]!) / TICKS_PER_S
  const busy = after.machine.busy - before.machine.busy
  const total = after.machine.total - before.machine.total
  return { procSeconds, machineBusySeconds: busy / TICKS_PER_S, machineBusyShare: total > 0 ? busy / total : Number.NaN }
}
