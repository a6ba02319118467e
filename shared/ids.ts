/**
 * Prefixed, time-sortable identifiers: `<prefix>_` + 10 chars of millisecond time + 16 random
 * chars, all Crockford base32 (ULID layout). Lexical order is creation order, which keeps
 * "newest first" lists on the primary key index and makes ids readable in logs.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export const ID_PREFIXES = ['ten', 'key', 'did', 'asg', 'ses', 'call', 'evt', 'cbd', 'req', 'prm', 'rec', 'era'] as const
export type IdPrefix = (typeof ID_PREFIXES)[number]

let lastTime = 0
let lastRandom = new Uint8Array(16)

function encodeTime(ms: number): string {
  let out = ''
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out
    ms = Math.floor(ms / 32)
  }
  return out
}

/** 16 base32 digits; within one millisecond the random part is incremented so order holds. */
function nextRandom(now: number): Uint8Array {
  if (now === lastTime) {
    for (let i = 15; i >= 0; i--) {
      if (lastRandom[i]! < 31) {
        lastRandom[i]!++
        return lastRandom
      }
      lastRandom[i] = 0
    }
  }
  lastTime = now
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  for (let i = 0; i < 16; i++) bytes[i] = bytes[i]! & 31
  // Leave headroom so increments within a millisecond never overflow.
  bytes[0] = bytes[0]! & 15
  lastRandom = bytes
  return lastRandom
}

export function newId(prefix: IdPrefix, now = Date.now()): string {
  const rnd = nextRandom(now)
  let r = ''
  for (let i = 0; i < 16; i++) r += ALPHABET[rnd[i]!]
  return `${prefix}_${encodeTime(now)}${r}`
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27
}
