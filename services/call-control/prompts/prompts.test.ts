/**
 * Tenant prompts through the gateway on real NATS and PostgreSQL (identity, did, sessions,
 * call-control, gateway in one process): upload validation, list, delete without pulling a file
 * from under a live call, use as a greeting, and the unmatched-caller settings.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sessions } from '../../../shared/contracts/sessions'
import type { ServiceDefinition } from '../../../shared/service'
import { pcm16Wav } from '../../../shared/prompts/wav'
import { callControlService } from '../service'
import { client, createTenant } from '../../../tests/support/http'
import { startTestPlatform, type TestPlatform } from '../../../tests/support/platform'
import { numbers, SESSION_SERVICES } from '../../../tests/support/sessions-platform'
import type { PromptStore } from './prompt-store'

let tp: TestPlatform
let dir: string
let http: ReturnType<typeof client>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prompts-api-'))
  tp = await startTestPlatform([...SESSION_SERVICES, callControlService as unknown as ServiceDefinition], { PROMPTS_DIR: dir })
  http = client(tp.baseUrl)
}, 60_000)
afterAll(async () => {
  await tp?.stop()
  await rm(dir, { recursive: true, force: true })
}, 60_000)

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)))

async function upload(key: string, bytes: Uint8Array, name = 'greeting', type = 'audio/wav') {
  const res = await fetch(`${tp.baseUrl}/v1/prompts?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': type }, body: bytes })
  return { status: res.status, body: (await res.json()) as any }
}

describe('POST /v1/prompts', () => {
  test('a valid 8 kHz mono 16-bit WAV is stored and listed with its properties', async () => {
    const { key, tenantId } = await createTenant(http, tp.adminToken)
    const r = await upload(key, pcm16Wav(tone(12_000), 8000), 'welcome')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ tenant_id: tenantId, name: 'welcome', encoding: 'pcm16', sample_rate: 8000, duration_ms: 1500 })
    expect(r.body.id).toMatch(/^prm_[0-9A-Z]{26}$/)
    const list = await http.get('/v1/prompts', { key })
    expect(list.body).toMatchObject({ total: 1, items: [{ id: r.body.id, name: 'welcome' }] })
    // Other tenants do not see it.
    const other = await createTenant(http, tp.adminToken)
    expect((await http.get('/v1/prompts', { key: other.key })).body.total).toBe(0)
  }, 30_000)

  test('a 32-bit WAV is refused with 422 naming the sample size', async () => {
    const { key } = await createTenant(http, tp.adminToken)
    const r = await upload(key, pcm16Wav(tone(8000), 8000, { bitsPerSample: 32 }))
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('validation_error')
    expect(r.body.detail).toEqual([{ loc: ['body', 'bits_per_sample'], msg: expect.stringContaining('32-bit'), type: 'prompt_bits_per_sample' }])
  }, 30_000)

  test('an oversize file is refused with 422 naming its size, without being read to the end', async () => {
    const { key } = await createTenant(http, tp.adminToken)
    const r = await upload(key, pcm16Wav(tone(8000 * 40), 8000)) // 640 KB
    expect(r.status).toBe(422)
    expect(r.body.detail).toEqual([{ loc: ['body', 'size'], msg: expect.stringContaining('524288'), type: 'prompt_size' }])
  }, 30_000)

  test('wrong rate, stereo, too long, not a WAV, not audio/wav: each named', async () => {
    const { key } = await createTenant(http, tp.adminToken)
    const fields = async (bytes: Uint8Array) => (await upload(key, bytes)).body.detail.map((d: { loc: string[] }) => d.loc[1])
    expect(await fields(pcm16Wav(tone(44_100), 44_100))).toEqual(['sample_rate'])
    expect(await fields(pcm16Wav(tone(16_000), 8000, { channels: 2 }))).toEqual(['channels'])
    expect(await fields(pcm16Wav(tone(8000 * 31), 8000))).toEqual(['duration']) // 31 s in 496 KB: under the size bound
    expect(await fields(new TextEncoder().encode('not a wav at all'))).toEqual(['file'])
    const json = await upload(key, new TextEncoder().encode('{}'), 'x', 'application/json')
    expect(json.status).toBe(415)
    const noName = await fetch(`${tp.baseUrl}/v1/prompts`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'audio/wav' }, body: pcm16Wav(tone(8000), 8000) })
    expect(noName.status).toBe(422)
  }, 30_000)
})

describe('using and deleting prompts', () => {
  test('a session greeting may name your prompt, not another tenant’s', async () => {
    const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    const [M] = numbers('+1202557', 100, 1)
    await http.post('/admin/v1/dids', { bearer: tp.adminToken, body: { numbers: [M] } })
    await http.post(`/admin/v1/dids/${M}/assign`, { bearer: tp.adminToken, body: { tenant_id: t.tenantId } })
    const mine = (await upload(t.key, pcm16Wav(tone(8000), 8000))).body
    const other = await createTenant(http, tp.adminToken)
    const theirs = (await upload(other.key, pcm16Wav(tone(8000), 8000))).body
    const ok = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155557001', customer_phone: '+14155557002', greeting_prompt: mine.id } })
    expect(ok.status).toBe(200)
    expect(ok.body.greeting_prompt).toBe(mine.id)
    const foreign = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155557003', customer_phone: '+14155557004', greeting_prompt: theirs.id } })
    expect(foreign.status).toBe(422)
    expect(foreign.body.detail[0].loc).toEqual(['body', 'greeting_prompt'])
  }, 30_000)

  test('delete: gone for lists and new calls at once; a call that already has the file keeps it until the purge', async () => {
    const { key, tenantId } = await createTenant(http, tp.adminToken)
    const wav = pcm16Wav(tone(8000), 8000)
    const p = (await upload(key, wav)).body
    const store = (tp.platform.running.get('call-control') as unknown as { prompts: PromptStore }).prompts
    // A live call resolved it: the file rtpengine reads is on disk, byte for byte.
    const playing = await store.resolve(tenantId, p.id)
    expect(playing.durationMs).toBe(1000)
    expect(Buffer.from(await readFile(playing.path)).equals(Buffer.from(wav))).toBe(true)

    const del = await http.call('DELETE', `/v1/prompts/${p.id}`, { key })
    expect(del.status).toBe(200)
    expect(del.body).toEqual({ id: p.id, deleted: true })
    expect((await http.get('/v1/prompts', { key })).body.total).toBe(0)
    expect((await http.call('DELETE', `/v1/prompts/${p.id}`, { key })).status).toBe(404)
    await expect(store.resolve(tenantId, p.id)).rejects.toMatchObject({ code: 'prompt_not_found' }) // no new call picks it
    expect(existsSync(playing.path)).toBe(true) // the live call's file stays

    // The purge (run once no call can still be playing it) drops the audio and the file.
    expect(await store.purge(new Date(Date.now() - 60_000))).toBe(0)
    expect(await store.purge(new Date(Date.now() + 1000))).toBeGreaterThanOrEqual(1)
    expect(existsSync(playing.path)).toBe(false)
  }, 30_000)

  test('built-in prompts resolve to generated files', async () => {
    const store = (tp.platform.running.get('call-control') as unknown as { prompts: PromptStore }).prompts
    const r = await store.resolve('ten_any', 'builtin:recording_notice')
    expect(r.path.startsWith(join(dir, 'builtin'))).toBe(true)
    expect(r.durationMs).toBeGreaterThan(1000)
    await expect(store.resolve('ten_any', 'builtin:nope')).rejects.toMatchObject({ code: 'prompt_not_found' })
  }, 30_000)
})

describe('what unmatched callers hear (tenant and operator settings)', () => {
  test('default: the SIP refusals; set: the prompt travels with the refusal; null restores the default', async () => {
    const t = await createTenant(http, tp.adminToken, { rate_limit_per_second: 1000 })
    const [M] = numbers('+1202557', 200, 1)
    await http.post('/admin/v1/dids', { bearer: tp.adminToken, body: { numbers: [M] } })
    await http.post(`/admin/v1/dids/${M}/assign`, { bearer: tp.adminToken, body: { tenant_id: t.tenantId } })
    const route = (from: string) => tp.platform.bus.request(sessions.route, { to: M!, from }, { requestId: 'unmatched' })

    expect((await http.get('/v1/settings', { key: t.key })).body).toEqual({ no_session_prompt: null, not_a_party_prompt: null, unmatched_callback_url: null, record_calls: false, recording_retention_days: 30, phone_retention_days: 90 })
    expect(await route('+14155558001')).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404 })

    const own = (await upload(t.key, pcm16Wav(tone(8000), 8000))).body
    const set = await http.patch('/v1/settings', { key: t.key, body: { no_session_prompt: 'builtin:session_ended', not_a_party_prompt: own.id } })
    expect(set.status).toBe(200)
    expect(set.body).toEqual({ no_session_prompt: 'builtin:session_ended', not_a_party_prompt: own.id, unmatched_callback_url: null, record_calls: false, recording_retention_days: 30, phone_retention_days: 90 })
    expect(await route('+14155558001')).toEqual({ action: 'refuse', reason: 'no_session', sip_status: 404, tenant_id: t.tenantId, prompt: 'builtin:session_ended' })
    await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155558002', customer_phone: '+14155558003' } })
    expect(await route('+14155558001')).toEqual({ action: 'refuse', reason: 'unknown_caller', sip_status: 403, tenant_id: t.tenantId, prompt: own.id })

    // Unknown prompts are refused; operators set the same fields.
    const bad = await http.patch('/v1/settings', { key: t.key, body: { no_session_prompt: 'builtin:nothing' } })
    expect(bad.status).toBe(422)
    expect(bad.body.detail[0].loc).toEqual(['body', 'no_session_prompt'])
    const op = await http.patch(`/admin/v1/tenants/${t.tenantId}`, { bearer: tp.adminToken, body: { not_a_party_prompt: null } })
    expect(op.status).toBe(200)
    expect(op.body.not_a_party_prompt).toBeNull()
    expect(await route('+14155558001')).toEqual({ action: 'refuse', reason: 'unknown_caller', sip_status: 403 })
  }, 30_000)
})
