/**
 * The SDK's fetch: every POST carries an `Idempotency-Key` (one per logical request, the same on
 * each of its attempts, so a retried POST is answered once), and 429/503 answers and network
 * failures are retried with capped exponential backoff and full jitter, waiting at least what
 * `Retry-After` asks.
 */
import { retryAfterSeconds } from './errors'

export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 disables retrying). */
  retries?: number
  /** First backoff step in ms (default 250); each further step doubles it. */
  baseDelayMs?: number
  /** No single wait is longer than this (default 20 s); a longer `Retry-After` is not waited for. */
  maxDelayMs?: number
  fetch?: (request: Req) => Promise<Response>
  sleep?: (ms: number) => Promise<unknown>
  random?: () => number
  newIdempotencyKey?: () => string
}

type Req = Request
/** bun-types declares `clone()` as returning undici's Request, not Bun's own: the same object. */
const copy = (r: Req): Req => r.clone() as Req

const RETRY_STATUSES = new Set([429, 503])

/** The wait before retry `attempt` (1-based): full jitter over base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)))
}

/** A random UUID; browsers offer crypto.randomUUID only on https and localhost pages. */
function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export function retryingFetch(opts: RetryOptions = {}): (request: Req) => Promise<Response> {
  const retries = opts.retries ?? 3
  const base = opts.baseDelayMs ?? 250
  const max = opts.maxDelayMs ?? 20_000
  const doFetch = opts.fetch ?? ((r: Req) => fetch(r))
  const sleep = opts.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
  const random = opts.random ?? Math.random
  const newKey = opts.newIdempotencyKey ?? randomKey

  return async (input: Req) => {
    let request = input
    if (request.method === 'POST' && !request.headers.has('idempotency-key')) {
      // A clone: the caller's request stays as it was.
      request = copy(request)
      request.headers.set('idempotency-key', newKey())
    }
    for (let attempt = 1; ; attempt++) {
      const last = attempt > retries
      let response: Response
      try {
        response = await doFetch(last ? request : copy(request))
      } catch (error) {
        // A connection that failed may or may not have reached the server; the idempotency key
        // makes a repeated POST safe either way.
        if (last) throw error
        await sleep(backoffMs(attempt, base, max, random))
        continue
      }
      if (last || !RETRY_STATUSES.has(response.status)) return response
      const asked = retryAfterSeconds(response.headers.get('retry-after'))
      const wait = Math.max(asked === undefined ? 0 : asked * 1000, backoffMs(attempt, base, max, random))
      if (wait > max) return response
      await response.body?.cancel()
      await sleep(wait)
    }
  }
}
