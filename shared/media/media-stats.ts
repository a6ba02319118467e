/**
 * A call's media figures, from rtpengine's statistics at delete time: RTP packets and bytes
 * received from each party, and, where the parties' RTCP reports let rtpengine compute them,
 * packet loss, jitter and MOS for what each party received. Observed into histograms too.
 */
import type { CallStats, NgMonologue } from './rtpengine-client'
import { mediaJitter, mediaLoss, mediaMos, mediaPackets } from './metrics'

import type { CallMediaStats, MediaDirection as MediaDirectionSchema } from '../contracts/calls'

type MediaDirection = typeof MediaDirectionSchema.static
/** On the call record as `media`: each direction named by who sent it. */
export type MediaSummary = CallMediaStats

function rtpStreamOf(tag: NgMonologue | undefined) {
  for (const m of tag?.medias ?? []) for (const s of m.streams ?? []) if (s.flags?.includes('RTP')) return s
  return undefined
}

function direction(stats: CallStats, sender: string): MediaDirection {
  const stream = rtpStreamOf(stats.tags?.[sender])
  // rtpengine keys quality by the sender's SSRC (the stream's `SSRC` is what the tag sends).
  const ssrc = stream && 'SSRC' in stream ? String((stream as { SSRC?: number }).SSRC) : undefined
  const q = ssrc ? stats.SSRC?.[ssrc] : undefined
  const avg = q?.['average MOS']
  return {
    packets: stream?.stats?.packets ?? 0,
    bytes: stream?.stats?.bytes ?? 0,
    packets_lost: typeof q?.['cumulative loss'] === 'number' ? (q['cumulative loss'] as number) : null,
    loss: typeof avg?.['packet loss'] === 'number' ? avg['packet loss'] / 100 : null,
    jitter_ms: typeof avg?.jitter === 'number' ? avg.jitter : null,
    mos: typeof avg?.MOS === 'number' && avg.MOS > 0 ? avg.MOS / 10 : null,
  }
}

export function summarize(stats: CallStats): MediaSummary {
  const s = { from_caller: direction(stats, 'caller'), from_callee: direction(stats, 'callee') }
  for (const [dir, d] of Object.entries(s)) {
    mediaPackets.observe({ direction: dir }, d.packets)
    if (d.loss !== null) mediaLoss.observe({ direction: dir }, d.loss)
    if (d.jitter_ms !== null) mediaJitter.observe({ direction: dir }, d.jitter_ms)
    if (d.mos !== null) mediaMos.observe({ direction: dir }, d.mos)
  }
  return s
}
