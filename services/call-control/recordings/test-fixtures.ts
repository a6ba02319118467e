/** Recording fixtures: rtpengine's pcap + metadata for a call of two tone parties, and a recorded call's rows. */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from '../../../shared/db/database'
import { newId } from '../../../shared/ids'
import { calls } from '../db/schema'
import { RecordingStore } from './recording-store'
import { toneRtp, writePcap, type PcapRecord } from '../../../tests/support/audio'

/** rtpengine's two files for a call: a pcap of two tone parties and its metadata. */
export function writeRtpengineFiles(dir: string, mediaCallId: string, startMs: number, seconds: number): { pcap: string; metadata: string; pcapBytes: Uint8Array } {
  mkdirSync(join(dir, 'pcaps'), { recursive: true })
  mkdirSync(join(dir, 'metadata'), { recursive: true })
  const base = `${mediaCallId}-${randomBytes(8).toString('hex')}`
  const pcap = join(dir, 'pcaps', `${base}.pcap`)
  const metadata = join(dir, 'metadata', `rtpengine-meta-${base}.txt`)
  const records: PcapRecord[] = []
  for (let i = 0; i < seconds * 50; i++) {
    records.push({ at: startMs + i * 20, src: '10.1.1.2', srcPort: 4000, dst: '10.1.1.1', dstPort: 30010, payload: toneRtp({ hz: 440, seq: i, ssrc: 7 }) })
    records.push({ at: startMs + i * 20 + 1, src: '10.1.1.3', srcPort: 4000, dst: '10.1.1.1', dstPort: 30000, payload: toneRtp({ hz: 1000, seq: i, ssrc: 8 }) })
  }
  const pcapBytes = writePcap(records)
  writeFileSync(pcap, pcapBytes)
  writeFileSync(metadata, `${pcap}\n\nSDP mode: offer\n\nm=audio 30000 RTP/AVP 0\n\nSDP mode: answer\n\nm=audio 30010 RTP/AVP 0\n\ncall end time: x\n`)
  return { pcap, metadata, pcapBytes }
}

export async function recordedCall(db: Database, rtpengine: string, o: { tenantId: string; answeredAt: Date; endedAt: Date; callback?: boolean }) {
  const callId = newId('call')
  await db.db.insert(calls).values({
    id: callId, tenantId: o.tenantId, sessionId: 'ses_x', direction: 'originate', status: 'completed', fromParty: 'driver', toParty: 'customer',
    fromPhone: '+12025550111', toPhone: '+12025550122', maskedE164: '+12025550100', answeredAt: o.answeredAt, endedAt: o.endedAt, callbackSeq: 4,
    ...(o.callback ? { stateCallback: 'https://hooks.example/cb' } : {}),
  })
  const store = new RecordingStore(db.db)
  const mediaCallId = `inst~${callId}`
  const id = await store.started({ tenantId: o.tenantId, callId, sessionId: 'ses_x', rtpengine, mediaCallId })
  await store.ended(callId, { answeredAt: o.answeredAt, endedAt: o.endedAt, noticeFile: null, noticeAt: null })
  return { callId, id, mediaCallId }
}

