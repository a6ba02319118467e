import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Subprocess } from 'bun'
import { freeTcpPort } from '../../../tests/sip/support'
import { FsObjectStore, S3ObjectStore, type ObjectStore } from './object-store'
import { RecordingVault } from './recording-vault'
import { AudioSealer, CHUNK, SealedAudioError } from './sealed-audio'
import { stereoWav } from './rtp-to-wav'

const key = randomBytes(32)
const wav = stereoWav(Int16Array.from({ length: 100_000 }, (_, i) => i % 3000), Int16Array.from({ length: 100_000 }, (_, i) => -(i % 1000)))

async function roundTrips(store: ObjectStore) {
  const vault = new RecordingVault(store, new AudioSealer(key))
  const { key: k, storedBytes } = await vault.save('ten_A', 'rec_1', wav)
  expect(storedBytes).toBeGreaterThan(wav.byteLength)
  expect(Buffer.from(await vault.read(k, 'rec_1', 0, wav.byteLength)).equals(Buffer.from(wav))).toBe(true)
  // Ranges inside a chunk, across chunk boundaries, at the end, and past it.
  for (const [s, e] of [[0, 44], [10, 20], [CHUNK - 5, CHUNK + 5], [CHUNK * 2 + 1, CHUNK * 5 - 1], [wav.byteLength - 3, wav.byteLength], [wav.byteLength - 3, wav.byteLength + 100]] as const) {
    expect(Buffer.from(await vault.read(k, 'rec_1', s, e)).equals(Buffer.from(wav.subarray(s, e)))).toBe(true)
  }
  await vault.delete(k)
  expect(await store.exists(k)).toBe(false)
  await vault.delete(k) // deleting again is fine (retried purges)
}

describe('recordings at rest', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vault-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('filesystem store: byte ranges round-trip; the file on disk is not a WAV and names nothing of it', async () => {
    await roundTrips(new FsObjectStore(dir))
    const vault = new RecordingVault(new FsObjectStore(dir), new AudioSealer(key))
    const { key: k } = await vault.save('ten_A', 'rec_2', wav)
    const onDisk = readFileSync(join(dir, k))
    expect(onDisk.subarray(0, 4).toString('latin1')).not.toBe('RIFF')
    expect(onDisk.includes(Buffer.from('RIFF'))).toBe(false)
    expect(onDisk.includes(Buffer.from('WAVE'))).toBe(false)
    expect(onDisk.includes(Buffer.from(wav.subarray(44, 44 + 64)))).toBe(false)
    expect(readdirSync(join(dir, 'ten_A')).some((n) => n.endsWith('.tmp'))).toBe(false)
  })

  test('without the key, under another recording id, altered, or cut short: refused', async () => {
    const store = new FsObjectStore(dir)
    const { key: k } = await new RecordingVault(store, new AudioSealer(key)).save('ten_A', 'rec_3', wav)
    await expect(new RecordingVault(store, new AudioSealer(randomBytes(32))).read(k, 'rec_3', 0, 100)).rejects.toThrow(SealedAudioError)
    await expect(new RecordingVault(store, new AudioSealer(key)).read(k, 'rec_other', 0, 100)).rejects.toThrow(SealedAudioError)
    // A rotated key: the old one in the previous list still opens it.
    expect((await new RecordingVault(store, new AudioSealer(randomBytes(32), [key])).read(k, 'rec_3', 0, 4)).toString()).toBe('RIFF')
    const path = join(dir, k)
    const bytes = readFileSync(path)
    bytes[100]! ^= 1
    writeFileSync(path, bytes)
    await expect(new RecordingVault(store, new AudioSealer(key)).read(k, 'rec_3', 0, 100)).rejects.toThrow(SealedAudioError)
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 10))
    await expect(new RecordingVault(store, new AudioSealer(key)).read(k, 'rec_3', wav.byteLength - 100, wav.byteLength)).rejects.toThrow()
  })

  test('object keys outside the store are refused', async () => {
    const store = new FsObjectStore(dir)
    await expect(store.put('../escape', new Uint8Array(1))).rejects.toThrow(/bad object key/)
    await expect(store.put('/abs', new Uint8Array(1))).rejects.toThrow(/bad object key/)
  })
})

// A real S3-compatible server (moto's, from Python's `moto[server]`) for Bun's S3 client.
const motoServer = Bun.which('moto_server')
if (!motoServer) console.warn(`\n${'!'.repeat(78)}\n!!! S3 STORE TEST SKIPPED: moto_server not found (pip install 'moto[server]').\n${'!'.repeat(78)}\n`)

describe.skipIf(!motoServer)('recordings in an S3-compatible bucket (Bun S3 client)', () => {
  let proc: Subprocess | undefined
  let endpoint = ''
  beforeAll(async () => {
    const port = await freeTcpPort()
    endpoint = `http://127.0.0.1:${port}`
    proc = Bun.spawn([motoServer!, '-H', '127.0.0.1', '-p', String(port)], { stdout: 'ignore', stderr: 'ignore' })
    // Python's start-up takes seconds on a busy machine: wait for it to answer (or to exit).
    while (proc.exitCode === null && !(await fetch(endpoint).then(() => true, () => false))) await Bun.sleep(100)
    if (proc.exitCode !== null) throw new Error(`moto_server exited with ${proc.exitCode}`)
    // The bucket (an operator creates it once in production).
    const res = await fetch(`${endpoint}/recordings-test`, { method: 'PUT' })
    expect(res.status).toBe(200)
  }, 60_000)
  afterAll(async () => {
    proc?.kill()
    await proc?.exited
  })

  test('byte ranges round-trip; delete removes the object', async () => {
    await roundTrips(new S3ObjectStore({ bucket: 'recordings-test', endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', prefix: 'masking' }))
  })
})
