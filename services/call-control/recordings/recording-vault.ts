/** Sealed recordings in an object store: save a WAV, read a plaintext byte range of it, delete it. */
import type { ObjectStore } from './object-store'
import { AudioSealer, HEADER_BYTES, sealedSize } from './sealed-audio'

export class RecordingVault {
  constructor(
    readonly store: ObjectStore,
    private readonly sealer: AudioSealer,
  ) {}

  static objectKey(tenantId: string, recordingId: string): string {
    return `${tenantId}/${recordingId}.wav.sealed`
  }

  /** Stores the sealed WAV; returns the object key and the stored size. */
  async save(tenantId: string, recordingId: string, wav: Uint8Array): Promise<{ key: string; storedBytes: number }> {
    const key = RecordingVault.objectKey(tenantId, recordingId)
    const sealed = this.sealer.seal(recordingId, wav)
    await this.store.put(key, sealed)
    return { key, storedBytes: sealed.byteLength }
  }

  /** Plaintext bytes [start, end) of a stored recording (end clipped to its length). */
  async read(key: string, recordingId: string, start: number, end: number): Promise<Uint8Array> {
    const header = this.sealer.parseHeader(await this.store.read(key, 0, HEADER_BYTES))
    if (start >= Math.min(end, header.length)) return new Uint8Array(0)
    const { first, from, to } = this.sealer.span(header.length, start, end)
    const sealed = await this.store.read(key, from, to)
    if (to > sealedSize(header.length) || sealed.byteLength !== to - from) throw new Error('stored recording is shorter than its header says')
    return this.sealer.open(recordingId, header, first, sealed, start, end)
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key)
  }
}
