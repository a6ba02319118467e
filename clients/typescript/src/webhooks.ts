/**
 * State callbacks: `X-Masking-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * with the tenant's webhook secret (GET /v1/webhook-secret). Web Crypto only, so this runs in Bun,
 * Node ≥ 20, Deno, workers and browsers alike.
 */

export const SIGNATURE_HEADER = 'X-Masking-Signature'

export type CallbackEventName = 'initiated' | 'ringing' | 'answered' | 'completed'

/** The JSON body of a state callback. */
export interface CallStateEvent {
  event_id: string
  event: CallbackEventName
  /** 1, 2, … per call; a later event is sent only after the earlier one was delivered or given up */
  sequence: number
  occurred_at: string
  call_id: string
  session_id: string
  order_id: string | null
  bill_id: string | null
  status: 'initiated' | 'ringing' | 'answered' | 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled'
  direction: 'inbound' | 'originate'
  from_party: string
  to_party: string
  masked_e164: string
  duration_seconds: number | null
}

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError'
  constructor(readonly reason: 'missing_header' | 'malformed_header' | 'timestamp_out_of_tolerance' | 'signature_mismatch' | 'malformed_body', message: string) {
    super(message)
  }
}

export interface VerifyOptions {
  /** Refuse a `t` further than this from now (default 300 s), so an old delivery cannot be replayed. */
  toleranceSeconds?: number
  nowSeconds?: number
}

const encoder = new TextEncoder()

/**
 * Checks a callback's signature against the raw body (exactly as received, before any JSON
 * parsing) and returns the parsed event; throws WebhookVerificationError otherwise. Pass several
 * secrets while a rotation rolls out: any one of them may match.
 */
export async function verifyWebhook(
  body: string | Uint8Array,
  signatureHeader: string | null | undefined,
  secrets: string | readonly string[],
  opts: VerifyOptions = {},
): Promise<CallStateEvent> {
  if (!signatureHeader) throw new WebhookVerificationError('missing_header', `no ${SIGNATURE_HEADER} header`)
  const { t, v1 } = parseHeader(signatureHeader)
  if (t === undefined || v1.length === 0) throw new WebhookVerificationError('malformed_header', `${SIGNATURE_HEADER} needs t=<unix>,v1=<hex>`)
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) throw new WebhookVerificationError('timestamp_out_of_tolerance', `signature time ${t} is too far from now (${now})`)

  const raw = typeof body === 'string' ? encoder.encode(body) : body
  const signed = concat(encoder.encode(`${t}.`), raw)
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    for (const hex of v1) {
      const given = hexBytes(hex)
      // subtle.verify compares in constant time.
      if (given && (await crypto.subtle.verify('HMAC', key, given, signed))) return parseEvent(raw)
    }
  }
  throw new WebhookVerificationError('signature_mismatch', 'no signature matches any of the given secrets')
}

/** Signs a body as the platform does; for tests of your own receiver. */
export async function signWebhook(body: string, secret: string, unixSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${unixSeconds}.${body}`)))
  return `t=${unixSeconds},v1=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

function parseHeader(header: string): { t: number | undefined; v1: string[] } {
  let t: number | undefined
  const v1: string[] = []
  for (const item of header.split(',')) {
    const i = item.indexOf('=')
    if (i <= 0) continue
    const k = item.slice(0, i).trim()
    const v = item.slice(i + 1).trim()
    if (k === 't' && t === undefined && /^\d+$/.test(v)) t = Number(v)
    if (k === 'v1') v1.push(v)
  }
  return { t, v1 }
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function parseEvent(raw: Uint8Array): CallStateEvent {
  try {
    return JSON.parse(new TextDecoder().decode(raw)) as CallStateEvent
  } catch {
    throw new WebhookVerificationError('malformed_body', 'the signed body is not JSON')
  }
}
