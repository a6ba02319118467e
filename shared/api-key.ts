/**
 * The API key format: `msk_live_` + 32 random base62 characters + a 6-character base62 CRC-32
 * checksum of what precedes it. The checksum lets secret scanners (and the gateway, before any
 * lookup) recognise a real key offline. Keys are stored as SHA-256 only; the prefix (first 15
 * characters) is what lists and logs show.
 */
import { createHash } from 'node:crypto'

export const KEY_PREFIX = 'msk_live_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_LENGTH = 32
const CHECKSUM_LENGTH = 6
export const KEY_LENGTH = KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH
export const DISPLAY_PREFIX_LENGTH = 15
const KEY_SHAPE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`)

/** Uniform base62 characters by rejection sampling (248 = 4 × 62). */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248) out += BASE62[b % 62]
      if (out.length === length) break
    }
  }
  return out
}

export function checksumOf(body: string): string {
  // The runtime's CRC-32 (IEEE), the same value zlib and every secret scanner compute.
  let n = Bun.hash.crc32(body)
  let out = ''
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

export function generateApiKey(): string {
  const body = KEY_PREFIX + randomBase62(RANDOM_LENGTH)
  return body + checksumOf(body)
}

/** True when the text has the key's shape and its checksum matches. */
export function isWellFormedApiKey(text: string): boolean {
  if (text.length !== KEY_LENGTH || !KEY_SHAPE.test(text)) return false
  const body = text.slice(0, KEY_LENGTH - CHECKSUM_LENGTH)
  return checksumOf(body) === text.slice(KEY_LENGTH - CHECKSUM_LENGTH)
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH)
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBase62(40)}`
}
