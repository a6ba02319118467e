/**
 * Recordings through the gateway, on real NATS and PostgreSQL: the service's own worker converts a
 * job (its pcap written as rtpengine would), then the tenant reads, lists, downloads with Range
 * and deletes it; another tenant gets 404 everywhere; scopes hold; retention deletes on time; the
 * stored file is not a readable WAV.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import type { ServiceDefinition } from '../../../shared/service'
import { dominantTone } from '../../../tests/support/audio'
import { client, createTenant, type Client } from '../../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../../tests/support/platform'
import { recordedCall, writeRtpengineFiles } from './test-fixtures'
import { gatewayService } from '../../gateway/service'
import { identityService } from '../../identity/service'
import { recordings } from '../db/schema'
import { callControlService } from '../service'
import { readPcmWav } from './rtp-to-wav'

const RTPENGINE = '127.0.0.1:22222'
let tp: TestPlatform
let http: Client
let dir: string
let a: Awaited<ReturnType<typeof createTenant>>
let b: Awaited<ReturnType<typeof createTenant>>

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}

const audio = (key: string, id: string, headers: Record<string, string> = {}) => fetch(`${tp.baseUrl}/v1/recordings/${id}/audio`, { headers: { 'x-api-key': key, ...headers } })

/** A recorded call of tenant `t` whose job the service's worker converts; resolves when ready. */
async function readyRecording(t: { tenantId: string }, seconds: number) {
  const answeredAt = new Date(Date.now() - 60_000)
  const job = await recordedCall(tp.platform.database!, RTPENGINE, { tenantId: t.tenantId, answeredAt, endedAt: new Date(answeredAt.getTime() + seconds * 1000) })
  const files = writeRtpengineFiles(join(dir, 'rtpengine'), job.mediaCallId, answeredAt.getTime(), seconds)
  const row = await until('the recording to be ready', async () => {
    const [r] = await tp.platform.database!.db.select().from(recordings).where(eq(recordings.id, job.id))
    return r?.status === 'ready' ? r : undefined
  })
  return { ...job, files, row }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rec-api-'))
  tp = await startTestPlatform([identityService, callControlService, gatewayService] as unknown as ServiceDefinition[], {
    RECORDINGS_KEY: randomBytes(32).toString('base64'),
    RECORDINGS_FS_DIR: join(dir, 'store'),
    RECORDING_DIR: join(dir, 'rtpengine'),
    RECORDING_RTPENGINES: `udp:${RTPENGINE}`,
    RECORDING_PURGE_INTERVAL_S: '1',
  })
  http = client(tp.baseUrl)
  a = await createTenant(http, tp.adminToken)
  b = await createTenant(http, tp.adminToken)
}, 60_000)
afterAll(async () => {
  await tp?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('recordings API', () => {
  test('read, list, download whole and by Range; another tenant gets 404; the stored file is not a WAV', async () => {
    // 20 s of stereo: 640 KB, more than one bus part (512 KiB).
    const rec = await readyRecording(a, 20)
    const size = 44 + 20 * 8000 * 4
    const byCall = await http.get(`/v1/calls/${rec.callId}/recording`, { key: a.key })
    expect(byCall.status).toBe(200)
    expect(byCall.body).toMatchObject({ id: rec.id, call_id: rec.callId, status: 'ready', content_type: 'audio/wav', duration_ms: 20_000, size_bytes: size })
    expect((await http.get(`/v1/recordings/${rec.id}`, { key: a.key })).body.sha256).toBe(rec.row.sha256)

    const whole = await audio(a.key, rec.id)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('content-type')).toBe('audio/wav')
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    expect(Number(whole.headers.get('content-length'))).toBe(size)
    const wav = new Uint8Array(await whole.arrayBuffer())
    expect(wav.byteLength).toBe(size)
    expect(createHash('sha256').update(wav).digest('hex')).toBe(byCall.body.sha256)
    const [left, right] = readPcmWav(wav).channels as [Int16Array, Int16Array]
    expect(dominantTone(left, [440, 1000]).hz).toBe(440)
    expect(dominantTone(right, [440, 1000]).hz).toBe(1000)

    const head = await audio(a.key, rec.id, { range: 'bytes=0-43' })
    expect(head.status).toBe(206)
    expect(head.headers.get('content-range')).toBe(`bytes 0-43/${size}`)
    expect(Buffer.from(await head.arrayBuffer()).equals(Buffer.from(wav.subarray(0, 44)))).toBe(true)
    // Across the bus part boundary and open-ended.
    const mid = await audio(a.key, rec.id, { range: `bytes=${512 * 1024 - 10}-` })
    expect(mid.status).toBe(206)
    expect(Buffer.from(await mid.arrayBuffer()).equals(Buffer.from(wav.subarray(512 * 1024 - 10)))).toBe(true)
    const tail = await audio(a.key, rec.id, { range: 'bytes=-100' })
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 100}-${size - 1}/${size}`)
    expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(wav.subarray(size - 100)))).toBe(true)
    const outside = await audio(a.key, rec.id, { range: `bytes=${size}-` })
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe(`bytes */${size}`)

    // Another tenant: the recording does not exist.
    expect((await http.get(`/v1/recordings/${rec.id}`, { key: b.key })).status).toBe(404)
    expect((await http.get(`/v1/calls/${rec.callId}/recording`, { key: b.key })).status).toBe(404)
    expect((await audio(b.key, rec.id)).status).toBe(404)
    expect((await http.delete(`/v1/recordings/${rec.id}`, { key: b.key })).status).toBe(404)
    expect((await http.get('/v1/recordings', { key: b.key })).body.total).toBe(0)

    // On disk: sealed, not a WAV.
    const stored = readFileSync(join(dir, 'store', rec.row.objectKey!))
    expect(stored.subarray(0, 4).toString('latin1')).not.toBe('RIFF')
    expect(stored.includes(Buffer.from('WAVEfmt'))).toBe(false)
    expect(existsSync(rec.files.pcap)).toBe(false)
  }, 60_000)

  test('list: filters and pages; scopes recordings:read and recordings:write', async () => {
    const r1 = await readyRecording(a, 1)
    const r2 = await readyRecording(a, 1)
    const page = await http.get('/v1/recordings?limit=1&offset=0&status=ready', { key: a.key })
    expect(page.status).toBe(200)
    expect(page.body.items).toHaveLength(1)
    expect(page.body.items[0].id).toBe(r2.id) // newest first
    expect(page.body.total).toBeGreaterThanOrEqual(2)
    const one = await http.get(`/v1/recordings?call_id=${r1.callId}`, { key: a.key })
    expect(one.body.items.map((r: { id: string }) => r.id)).toEqual([r1.id])
    expect((await http.get('/v1/recordings?limit=0', { key: a.key })).status).toBe(422)
    expect((await http.get('/v1/recordings?status=nope', { key: a.key })).status).toBe(422)

    const readOnly = await http.post('/v1/api-keys', { key: a.key, body: { scopes: ['recordings:read'] } })
    const callsOnly = await http.post('/v1/api-keys', { key: a.key, body: { scopes: ['calls:read'] } })
    expect((await http.get(`/v1/recordings/${r1.id}`, { key: readOnly.body.api_key })).status).toBe(200)
    expect((await http.delete(`/v1/recordings/${r1.id}`, { key: readOnly.body.api_key })).status).toBe(403)
    expect((await http.get(`/v1/recordings/${r1.id}`, { key: callsOnly.body.api_key })).status).toBe(403)
    expect((await audio(callsOnly.body.api_key, r1.id)).status).toBe(403)
  }, 60_000)

  test('DELETE removes the audio and keeps who deleted it; again is already_deleted', async () => {
    const rec = await readyRecording(a, 1)
    const del = await http.delete(`/v1/recordings/${rec.id}`, { key: a.key })
    expect(del.status).toBe(200)
    expect(del.body).toMatchObject({ id: rec.id, status: 'deleted', deletion_reason: 'api', deleted_by_key_id: a.keyId, already_deleted: false })
    expect(existsSync(join(dir, 'store', rec.row.objectKey!))).toBe(false)
    expect((await audio(a.key, rec.id)).status).toBe(404)
    expect((await http.delete(`/v1/recordings/${rec.id}`, { key: a.key })).body.already_deleted).toBe(true)
    expect((await http.get(`/v1/recordings?status=deleted`, { key: a.key })).body.items.some((r: { id: string }) => r.id === rec.id)).toBe(true)
  }, 60_000)

  test('retention: a recording past its delete_after is deleted by the purge (reason retention), its audio gone', async () => {
    const keep = await readyRecording(a, 1)
    const old = await readyRecording(a, 1)
    await tp.platform.database!.db.update(recordings).set({ deleteAfter: new Date(Date.now() - 1000) }).where(eq(recordings.id, old.id))
    const gone = await until('the purge', async () => {
      const r = await http.get(`/v1/recordings/${old.id}`, { key: a.key })
      return r.body.status === 'deleted' ? r.body : undefined
    })
    expect(gone).toMatchObject({ deletion_reason: 'retention', deleted_by_key_id: null })
    expect(existsSync(join(dir, 'store', old.row.objectKey!))).toBe(false)
    expect((await http.get(`/v1/recordings/${keep.id}`, { key: a.key })).body.status).toBe('ready')
    expect(existsSync(join(dir, 'store', keep.row.objectKey!))).toBe(true)
  }, 60_000)
})
