/**
 * Recordings at rest: AES-256-GCM in 64 KiB chunks under RECORDINGS_KEY, so a byte range can be
 * read (HTTP Range) by opening only the chunks it covers. Each chunk has its own nonce (a random
 * per-file prefix and the chunk's index) and tag; every chunk authenticates the header, which holds
 * the recording id, the key id and the plaintext length, so chunks cannot be swapped between
 * files, reordered or cut off unnoticed. Without the key the stored object is noise: no RIFF header.
 *
 * Layout: header (HEADER_BYTES) then chunks of (≤ CHUNK plaintext bytes + 16-byte tag).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const MAGIC = Buffer.from('MSKREC01')
export const CHUNK = 64 * 1024
const TAG = 16
/** magic(8) keyId(8) noncePrefix(8) plaintextLength(8) */
export const HEADER_BYTES = 32

export class SealedAudioError extends Error {
  override name = 'SealedAudioError'
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest().subarray(0, 8)

export interface SealedHeader {
  keyId: Buffer
  noncePrefix: Buffer
  length: number
  raw: Buffer
}

export class AudioSealer {
  private readonly current: { id: Buffer; key: Buffer }
  private readonly byId = new Map<string, Buffer>()

  constructor(key: Buffer, previous: Buffer[] = []) {
    this.current = { id: keyIdOf(key), key }
    for (const k of [key, ...previous]) this.byId.set(keyIdOf(k).toString('hex'), k)
  }

  /** The whole sealed object for `plaintext`, bound to `recordingId`. */
  seal(recordingId: string, plaintext: Uint8Array): Uint8Array {
    const header = Buffer.alloc(HEADER_BYTES)
    MAGIC.copy(header, 0)
    this.current.id.copy(header, 8)
    randomBytes(8).copy(header, 16)
    header.writeBigUInt64BE(BigInt(plaintext.byteLength), 24)
    const chunks = Math.ceil(plaintext.byteLength / CHUNK)
    const out = Buffer.alloc(sealedSize(plaintext.byteLength))
    header.copy(out, 0)
    const aad = this.aad(recordingId, header)
    for (let i = 0; i < chunks; i++) {
      const c = createCipheriv('aes-256-gcm', this.current.key, nonce(header.subarray(16, 24), i))
      c.setAAD(aad)
      const part = plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)
      const at = HEADER_BYTES + i * (CHUNK + TAG)
      const ct = c.update(part)
      c.final()
      out.set(ct, at)
      out.set(c.getAuthTag(), at + part.byteLength)
    }
    return out
  }

  parseHeader(bytes: Uint8Array): SealedHeader {
    const raw = Buffer.from(bytes.subarray(0, HEADER_BYTES))
    if (raw.byteLength < HEADER_BYTES || !raw.subarray(0, 8).equals(MAGIC)) throw new SealedAudioError('not a sealed recording')
    return { keyId: raw.subarray(8, 16), noncePrefix: raw.subarray(16, 24), length: Number(raw.readBigUInt64BE(24)), raw }
  }

  /** Where the chunks covering plaintext bytes [start, end) lie in the sealed object. */
  span(length: number, start: number, end: number): { first: number; from: number; to: number } {
    const first = Math.floor(start / CHUNK)
    const last = Math.floor((Math.min(end, length) - 1) / CHUNK)
    const from = HEADER_BYTES + first * (CHUNK + TAG)
    const to = Math.min(sealedSize(length), HEADER_BYTES + (last + 1) * (CHUNK + TAG))
    return { first, from, to }
  }

  /** Opens chunks read from the sealed object (starting with chunk `first`) and returns bytes [start, end). */
  open(recordingId: string, h: SealedHeader, first: number, sealed: Uint8Array, start: number, end: number): Uint8Array {
    const key = this.byId.get(h.keyId.toString('hex'))
    if (!key) throw new SealedAudioError(`recording sealed under key ${h.keyId.toString('hex')}, which is neither RECORDINGS_KEY nor in RECORDINGS_KEY_PREVIOUS`)
    const aad = this.aad(recordingId, h.raw)
    const parts: Buffer[] = []
    for (let off = 0, i = first; off < sealed.byteLength; off += CHUNK + TAG, i++) {
      const piece = sealed.subarray(off, Math.min(sealed.byteLength, off + CHUNK + TAG))
      if (piece.byteLength <= TAG) throw new SealedAudioError('sealed recording is cut short')
      const d = createDecipheriv('aes-256-gcm', key, nonce(h.noncePrefix, i))
      d.setAAD(aad)
      d.setAuthTag(piece.subarray(piece.byteLength - TAG))
      try {
        parts.push(Buffer.concat([d.update(piece.subarray(0, piece.byteLength - TAG)), d.final()]))
      } catch {
        throw new SealedAudioError('sealed recording failed authentication (wrong key, altered or swapped data)')
      }
    }
    const plain = Buffer.concat(parts)
    const base = first * CHUNK
    return plain.subarray(start - base, Math.min(end, h.length) - base)
  }

  private aad(recordingId: string, header: Buffer): Buffer {
    return Buffer.concat([header, Buffer.from(recordingId)])
  }
}

export function sealedSize(length: number): number {
  return HEADER_BYTES + length + Math.ceil(length / CHUNK) * TAG
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12)
  prefix.copy(n, 0)
  n.writeUInt32BE(index, 8)
  return n
}
