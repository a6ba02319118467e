/**
 * Secrets at rest (tenants' webhook signing secrets): AES-256-GCM under a key from configuration
 * (`SECRETS_KEY`, 32 bytes as base64 or hex). A sealed value names its key (`v1.<key id>.…`), so
 * the key can be rotated: the new key becomes SECRETS_KEY, the old one goes in
 * SECRETS_KEY_PREVIOUS, and at start the owner re-seals whatever is under an old key (or was
 * stored before encryption, as plaintext); then the old key can be dropped (docs/operations.md).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const PREFIX = 'v1'

export function parseKey(text: string): Buffer {
  const t = text.trim()
  const raw = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (raw.length !== 32) throw new Error('must be 32 bytes, as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)')
  return raw
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8)

export class SecretBox {
  private readonly current: { id: string; key: Buffer }
  private readonly byId = new Map<string, Buffer>()

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    this.current = { id: keyId(currentKey), key: currentKey }
    for (const k of [currentKey, ...previousKeys]) this.byId.set(keyId(k), k)
  }

  static fromConfig(current: string, previous = ''): SecretBox {
    return new SecretBox(
      parseKey(current),
      previous
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(parseKey),
    )
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.current.key, iv)
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()])
    return [PREFIX, this.current.id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.')
  }

  /** The plaintext, and whether it should be sealed again (legacy plaintext, or an old key). */
  open(stored: string): { plaintext: string; reseal: boolean } {
    const parts = stored.split('.')
    if (parts[0] !== PREFIX || parts.length !== 5) return { plaintext: stored, reseal: true } // stored before encryption
    const [, id, iv, tag, ct] = parts as [string, string, string, string, string]
    const key = this.byId.get(id)
    if (!key) throw new Error(`a secret is sealed under key ${id}, which is neither SECRETS_KEY nor in SECRETS_KEY_PREVIOUS`)
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    d.setAuthTag(Buffer.from(tag, 'base64url'))
    const plaintext = Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8')
    return { plaintext, reseal: id !== this.current.id }
  }
}
