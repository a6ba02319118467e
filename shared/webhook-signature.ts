/**
 * The state-callback signature, a public contract between the platform (which signs) and
 * receivers (which verify): `X-Masking-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">` with the tenant's webhook secret. The timestamp is inside the MAC, so a receiver that rejects old `t` values
 * (5 minutes is usual) also rejects replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'X-Masking-Signature'

export function signatureOf(secret: string, body: string, unixSeconds: number): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
}

/** One `v1` per secret: during a rotation's grace period the current and the previous one (Stripe's way). */
export function signatureHeader(secrets: string | readonly string[], body: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets
  return [`t=${unixSeconds}`, ...list.map((s) => `v1=${signatureOf(s, body, unixSeconds)}`)].join(',')
}

/**
 * What a receiver does (and what the tests do): parse the header, recompute, compare in constant
 * time, and refuse timestamps further than `toleranceS` from now.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  opts: { toleranceS?: number; nowS?: number } = {},
): boolean {
  if (!header) return false
  const parts = new Map<string, string[]>()
  for (const item of header.split(',')) {
    const i = item.indexOf('=')
    if (i <= 0) continue
    const k = item.slice(0, i).trim()
    parts.set(k, [...(parts.get(k) ?? []), item.slice(i + 1).trim()])
  }
  const t = Number(parts.get('t')?.[0])
  if (!Number.isInteger(t)) return false
  const now = opts.nowS ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - t) > (opts.toleranceS ?? 300)) return false
  const expected = Buffer.from(signatureOf(secret, body, t), 'hex')
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v, 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
