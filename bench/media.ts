/**
 * Media benchmark: N concurrent calls anchored through a real rtpengine (userspace) with
 * call-control's own media-plane code (RtpengineMediaPlane: the same offer/answer flags, SDP
 * cleaning and delete as a SIP call; the SIP signalling itself is measured by `bench sip`), each
 * call's two parties (127.0.0.2 and 127.0.0.3) sending PCMU RTP at 50 packets/s each way, for a
 * minute. Measured in one run:
 *   - packets lost (sent by one party, never received by the other), each way;
 *   - rtpengine's CPU per call (its /proc ticks over the minute ÷ calls);
 *   - the one-way delay rtpengine adds: each packet carries its send time; the same parties sent
 *     directly to each other (no rtpengine) before and after the anchored minute give the base.
 *
 *   bun run bench media      (BENCH_MEDIA_CALLS=200 BENCH_MEDIA_SECONDS=60 BENCH_MEDIA_PPS=50)
 */
import type { udp } from 'bun'
import { cpus } from 'node:os'
import { createLogger } from '../shared/log'
import { RtpengineMediaPlane, type CallMedia } from '../shared/media/call-media'
import type { MediaSummary } from '../shared/media/media-stats'
import { RtpenginePool } from '../shared/media/rtpengine-pool'
import { mediaOf, rtpPacket } from '../tests/support/rtp-party'
import { findRtpengine, removeRtpengine, startRtpengine, type Rtpengine } from '../tests/support/rtpengine'
import { cpuSince, sampleCpu, waitForQuiet } from './lib/cpu'
import { fmt, percentile, sorted, table } from './lib/stats'
import { rtpengineDelays, type CaptureDelay } from './lib/pcap-delay'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rmSync } from 'node:fs'

const CALLS = Number(process.env.BENCH_MEDIA_CALLS ?? 200)
const SECONDS = Number(process.env.BENCH_MEDIA_SECONDS ?? 60)
const PPS = Number(process.env.BENCH_MEDIA_PPS ?? 50)
const BASE_SECONDS = Number(process.env.BENCH_MEDIA_BASE_SECONDS ?? 15)
/** Seconds of the anchored minute captured on loopback (kernel timestamps in and out of rtpengine). */
const CAPTURE_SECONDS = Number(process.env.BENCH_MEDIA_CAPTURE_SECONDS ?? 10)

/** Captures RTP into and out of rtpengine's ports for `seconds` (dumpcap, where it is installed). */
function capture(portMin: number, portMax: number, seconds: number): { done: Promise<CaptureDelay | undefined> } {
  const dumpcap = Bun.which('dumpcap')
  if (!dumpcap) return { done: Promise.resolve(undefined) }
  const file = join(tmpdir(), `bench-media-${process.pid}.pcap`)
  const proc = Bun.spawn([dumpcap, '-q', '-P', '-i', 'lo', '-s', '96', '-B', '64', '-a', `duration:${seconds}`, '-f', `udp and portrange ${portMin}-${portMax}`, '-w', file], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  return {
    done: proc.exited.then(() => {
      try {
        return rtpengineDelays(file, portMin, portMax)
      } catch {
        return undefined
      } finally {
        rmSync(file, { force: true })
      }
    }),
  }
}

/** One party's sockets and counters. */
interface Party {
  address: string
  rtp: udp.Socket<'uint8array'>
  rtcp: udp.Socket<'uint8array'>
  ssrc: number
  seq: number
  sent: number
  /** Distinct sequence numbers received in the current phase (from the other party). */
  got: Set<number>
  dupes: number
  rtcpGot: number
  to?: { host: string; port: number }
  /** This party's packet, rewritten in place for each send (sendto copies it). */
  packet: Uint8Array
}

interface Phase {
  delays: Float64Array
  n: number
}

let phase: Phase = { delays: new Float64Array(0), n: 0 }

async function openParty(address: string, ssrc: number): Promise<Party> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 4999)
    let rtp: udp.Socket<'uint8array'> | undefined
    try {
      const p: Partial<Party> = { address, ssrc, seq: 0, sent: 0, got: new Set(), dupes: 0, rtcpGot: 0 }
      rtp = await Bun.udpSocket({
        hostname: address,
        port,
        binaryType: 'uint8array',
        socket: {
          data(_s, data) {
            const now = performance.now()
            const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
            const seq = v.getUint16(2)
            if (p.got!.has(seq)) p.dupes!++
            else p.got!.add(seq)
            if (phase.n < phase.delays.length) phase.delays[phase.n++] = now - v.getFloat64(12)
          },
        },
      })
      const rtcp = await Bun.udpSocket({
        hostname: address,
        port: port + 1,
        binaryType: 'uint8array',
        socket: {
          data() {
            p.rtcpGot!++
          },
        },
      })
      return Object.assign(p, { rtp, rtcp, packet: rtpPacket(ssrc, 0, 0) }) as Party
    } catch {
      rtp?.close()
    }
  }
  throw new Error(`no free port pair on ${address}`)
}

function sdpOf(p: Party): string {
  return ['v=0', `o=- ${p.ssrc} 1 IN IP4 ${p.address}`, 's=-', `c=IN IP4 ${p.address}`, 't=0 0', `m=audio ${p.rtp.port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n')
}

/**
 * Every party sends one packet per tick (PPS ticks a second) for `seconds`; resolves when done.
 * Each tick yields to the event loop, even when behind schedule, so the receive side keeps
 * reading (a loop that never yields fills every socket buffer and measures its own backlog).
 */
async function stream(parties: Party[], seconds: number): Promise<{ lateTicks: number }> {
  const gap = 1000 / PPS
  const ticks = Math.round(seconds * PPS)
  const start = performance.now()
  let lateTicks = 0
  for (let t = 0; t < ticks; t++) {
    for (const p of parties) {
      if (!p.to) continue
      const pkt = p.packet
      const v = new DataView(pkt.buffer)
      v.setUint16(2, p.seq & 0xffff)
      v.setUint32(4, (p.seq * 160) >>> 0)
      v.setFloat64(12, performance.now())
      p.seq++
      p.rtp.send(pkt, p.to.port, p.to.host)
      p.sent++
    }
    const wait = start + (t + 1) * gap - performance.now()
    if (wait <= 0) lateTicks++
    await Bun.sleep(Math.max(0, wait))
  }
  return { lateTicks }
}

function resetCounters(parties: Party[]): void {
  for (const p of parties) {
    p.sent = 0
    p.got = new Set()
    p.dupes = 0
    p.seq = 0
  }
}

/** Waits until nothing more arrives (in-flight packets land), at most 2 s. */
async function settle(parties: Party[]): Promise<void> {
  let last = -1
  for (let i = 0; i < 20; i++) {
    const now = parties.reduce((a, p) => a + p.got.size, 0)
    if (now === last) return
    last = now
    await Bun.sleep(100)
  }
}

interface Loss {
  sent: number
  received: number
  lost: number
  duplicates: number
}

function lossOf(senders: Party[], receivers: Party[]): Loss {
  const sent = senders.reduce((a, p) => a + p.sent, 0)
  const received = receivers.reduce((a, p) => a + p.got.size, 0)
  return { sent, received, lost: sent - received, duplicates: receivers.reduce((a, p) => a + p.dupes, 0) }
}

function delayStats(): { p50: number; p99: number; max: number; n: number } {
  const s = sorted(phase.delays.subarray(0, phase.n))
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, n: s.length }
}

async function directPhase(callers: Party[], callees: Party[], seconds: number) {
  callers.forEach((a, i) => (a.to = { host: callees[i]!.address, port: callees[i]!.rtp.port }))
  callees.forEach((b, i) => (b.to = { host: callers[i]!.address, port: callers[i]!.rtp.port }))
  resetCounters([...callers, ...callees])
  phase = { delays: new Float64Array(Math.ceil(seconds * PPS * 2 * callers.length * 1.05)), n: 0 }
  await stream([...callers, ...callees], seconds)
  await settle([...callers, ...callees])
  return { delay: delayStats(), aToB: lossOf(callers, callees), bToA: lossOf(callees, callers) }
}

export async function run(): Promise<void> {
  if (!findRtpengine()) {
    process.stderr.write('!!! media benchmark SKIPPED: rtpengine not found (apt install rtpengine-daemon)\n')
    return
  }
  const log = createLogger({ level: 'warn' })
  let rtpe: Rtpengine | undefined
  const parties: Party[] = []
  try {
    rtpe = await startRtpengine({ ports: [40000, 43999] })
    const pool = new RtpenginePool([rtpe.url], { timeoutMs: 2000, pingIntervalMs: 5000, log })
    await pool.start()
    const plane = new RtpengineMediaPlane(pool, 'bench', log)
    const callers: Party[] = []
    const callees: Party[] = []
    for (let i = 0; i < CALLS; i++) {
      callers.push(await openParty('127.0.0.2', 0x20000000 + i))
      callees.push(await openParty('127.0.0.3', 0x30000000 + i))
    }
    parties.push(...callers, ...callees)
    process.stderr.write(`media: ${CALLS} calls, ${PPS} packets/s each way, ${SECONDS} s anchored, ${BASE_SECONDS} s direct before and after\n`)

    await waitForQuiet({ maxWaitMs: 5000 })
    const before = await directPhase(callers, callees, BASE_SECONDS)
    process.stderr.write(`direct (before): p50 ${fmt(before.delay.p50)} ms, lost ${before.aToB.lost}/${before.bToA.lost}\n`)

    // Anchor every call (offer from the caller, answer from the callee), as call-control does.
    const medias: CallMedia[] = []
    const setupMs: number[] = []
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now()
      const media = await plane.open(`call_bench_${i}`)
      const toCallee = await media.offer('caller', sdpOf(callers[i]!))
      const toCaller = await media.answer('callee', sdpOf(callees[i]!))
      setupMs.push(performance.now() - t0)
      medias.push(media)
      const a = mediaOf(toCaller)
      const b = mediaOf(toCallee)
      callers[i]!.to = { host: a.address, port: a.port }
      callees[i]!.to = { host: b.address, port: b.port }
    }
    const held = await rtpe.calls()
    resetCounters(parties)
    phase = { delays: new Float64Array(Math.ceil(SECONDS * PPS * 2 * CALLS * 1.05)), n: 0 }
    const cpu0 = sampleCpu({ rtpengine: rtpe.pid, bench: process.pid })
    // The capture starts a few seconds in (calls settled) and covers CAPTURE_SECONDS of the minute.
    let captured: Promise<CaptureDelay | undefined> = Promise.resolve(undefined)
    const captureTimer = setTimeout(() => (captured = capture(rtpe!.portMin, rtpe!.portMax, CAPTURE_SECONDS).done), Math.min(5000, (SECONDS * 1000) / 4))
    const wall0 = performance.now()
    const { lateTicks } = await stream(parties, SECONDS)
    clearTimeout(captureTimer)
    const kernel = await captured
    const wallS = (performance.now() - wall0) / 1000
    await settle(parties)
    const cpu = cpuSince(cpu0, { rtpengine: rtpe.pid, bench: process.pid })
    const anchored = { delay: delayStats(), aToB: lossOf(callers, callees), bToA: lossOf(callees, callers) }
    const rtcpGot = parties.reduce((a, p) => a + p.rtcpGot, 0)
    const summaries = (await Promise.all(medias.map((m) => m.end()))).filter(Boolean) as MediaSummary[]
    const rtpeCounted = summaries.reduce((a, s) => a + s.from_caller.packets + s.from_callee.packets, 0)
    const left = await rtpe.calls()
    pool.stop()

    const after = await directPhase(callers, callees, BASE_SECONDS)
    const base = (before.delay.p50 + after.delay.p50) / 2
    const baseP99 = (before.delay.p99 + after.delay.p99) / 2
    const rtpeCpuPerCallPct = (cpu.procSeconds.rtpengine! / wallS / CALLS) * 100
    const rows = [
      ['calls anchored at once (rtpengine `list`)', String(held.length), '≥ 200'],
      ['RTP packets sent, caller → callee / callee → caller', `${anchored.aToB.sent} / ${anchored.bToA.sent}`, ''],
      ['achieved rate per party (packets/s; the minute took)', `${fmt(anchored.aToB.sent / CALLS / wallS)} (${fmt(wallS)} s)`, `${PPS}`],
      ['packets lost, caller → callee / callee → caller', `${anchored.aToB.lost} / ${anchored.bToA.lost}`, '0'],
      ['duplicates received', `${anchored.aToB.duplicates + anchored.bToA.duplicates}`, ''],
      ["rtpengine's own count of packets received (delete statistics)", String(rtpeCounted), ''],
      ['RTCP packets rtpengine generated to the parties', String(rtcpGot), ''],
      ['one-way delay, anchored: p50 / p99 / max', `${fmt(anchored.delay.p50)} / ${fmt(anchored.delay.p99)} / ${fmt(anchored.delay.max)} ms`, ''],
      ['one-way delay, direct (before · after): p50 / p99', `${fmt(before.delay.p50)} · ${fmt(after.delay.p50)} / ${fmt(before.delay.p99)} · ${fmt(after.delay.p99)} ms`, ''],
      [
        '**one-way delay added by rtpengine** (kernel timestamps, packet into its port → out of it), p50 / p99 / max',
        kernel ? `**${fmt(percentile(kernel.delaysMs, 50))} / ${fmt(percentile(kernel.delaysMs, 99))}** / ${fmt(kernel.delaysMs[kernel.delaysMs.length - 1] ?? NaN)} ms (${kernel.matched} packets)` : 'n/a (no dumpcap)',
        '',
      ],
      ['end to end in the load generator: anchored p50 − mean of the direct p50s', `**${fmt(anchored.delay.p50 - base)} ms**`, ''],
      ['p99 anchored − mean of the direct p99s (noisy: the tail is the load generator and neighbours)', `${fmt(anchored.delay.p99 - baseP99)} ms`, ''],
      ['packets lost on the direct path (before · after)', `${before.aToB.lost + before.bToA.lost} · ${after.aToB.lost + after.bToA.lost}`, ''],
      ['rtpengine CPU over the minute', `${fmt(cpu.procSeconds.rtpengine!)} s (${fmt((cpu.procSeconds.rtpengine! / wallS) * 100)}% of one core)`, ''],
      ['**rtpengine CPU per call**', `**${fmt(rtpeCpuPerCallPct)}% of a core** (${fmt((cpu.procSeconds.rtpengine! * 1000) / wallS / CALLS)} ms per call-second, 100 packets/s in and out)`, ''],
      ['send ticks behind schedule (load generator starved)', `${lateTicks} of ${Math.round(SECONDS * PPS)}`, ''],
      ['load generator (this process) CPU', `${fmt((cpu.procSeconds.bench! / wallS) * 100)}% of one core`, ''],
      ['machine busy during the minute', `${fmt(cpu.machineBusyShare * 100)}% of ${cpus().length} cores`, ''],
      ['anchoring one call (offer + answer), p50 / p99', `${fmt(percentile(sorted(setupMs), 50))} / ${fmt(percentile(sorted(setupMs), 99))} ms`, ''],
      ['calls rtpengine still holds after delete', String(left.length), '0'],
    ]
    console.log(`\n## Media: ${CALLS} anchored calls through rtpengine (${new Date().toISOString().slice(0, 16)} UTC, ${SECONDS} s, ${PPS} pps each way, ${cpus().length} CPUs)\n`)
    console.log(table(['', 'measured', 'target'], rows))
    console.log(`\n(${anchored.delay.n} anchored delay samples; rtpengine ${rtpe.portMin}-${rtpe.portMax}, userspace, --num-threads=2)`)
  } finally {
    for (const p of parties) {
      p.rtp.close()
      p.rtcp.close()
    }
    await removeRtpengine(rtpe)
  }
}

if (import.meta.main) await run()
