/**
 * Sends state callbacks from the outbox. Any number of instances run a worker; each claims due
 * rows with `FOR UPDATE SKIP LOCKED` and holds them by pushing `next_attempt_at` a lease ahead, so
 * a crashed worker's rows fall due again by themselves. A row is due only when no earlier row of
 * the same call is still pending: a call's events reach the receiver in `sequence` order, a later
 * one waiting until the earlier is delivered or given up.
 */
import { isIP } from 'node:net'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import { eq, sql } from 'drizzle-orm'
import type { Database } from '../../../shared/db/database'
import type { Logger } from '../../../shared/log'
import { callbackDeliveries } from '../db/schema'
import { callbackAttempts } from '../metrics'
import { MAX_ATTEMPTS, retryDelayMs } from './backoff'
import { signatureHeader, SIGNATURE_HEADER } from '../../../shared/webhook-signature'
import { CallbackUrlError, checkCallbackTarget, parseCallbackUrl, type Resolver } from './ssrf-guard'
import type { WebhookSecrets } from './webhook-secrets'

export interface CallbackWorkerOptions {
  database: Database
  secrets: Pick<WebhookSecrets, 'get'>
  log: Logger
  allowPrivate: boolean
  resolve?: Resolver
  /** Extra CA certificate(s), PEM, trusted for https deliveries besides the system's (tests, private PKI). */
  ca?: string
  /** How often to look for due rows when nobody nudges (other instances' rows, retries). */
  pollMs?: number
  /** Deliveries under way at once, per instance. */
  maxInFlight?: number
  leaseMs?: number
  timeoutMs?: number
}

interface Job {
  id: string
  call_id: string
  tenant_id: string
  sequence: number
  event_id: string
  url: string
  body: string
  attempts: number
}

export interface Outcome {
  statusCode: number | null
  error: string | null
  ok: boolean
  /** Retrying cannot help (refused by policy): give up now. */
  permanent: boolean
  /** Our side failed (e.g. identity unavailable): try again soon without spending an attempt. */
  ours: boolean
}

/** How long to wait when our side could not even try (identity down, …). */
const OUR_FAILURE_RETRY_MS = 5000
const MAX_BODY_READ = 64 * 1024

export class CallbackWorker {
  private timer: ReturnType<typeof setTimeout> | undefined
  private claiming: Promise<void> | undefined
  private again = false
  private stopped = false
  private readonly inFlight = new Set<Promise<void>>()
  private readonly pollMs: number
  private readonly maxInFlight: number
  private readonly leaseMs: number
  private readonly timeoutMs: number

  constructor(private readonly o: CallbackWorkerOptions) {
    this.pollMs = o.pollMs ?? 1000
    this.maxInFlight = o.maxInFlight ?? 64
    this.leaseMs = o.leaseMs ?? 60_000
    this.timeoutMs = o.timeoutMs ?? 5000
  }

  start(): void {
    this.schedule(0)
  }

  /** Something was just queued or finished: look now rather than at the next poll. */
  nudge(): void {
    if (this.stopped) return
    if (this.claiming) this.again = true
    else this.schedule(0)
  }

  /** Stops claiming and waits for the deliveries in flight (each ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.claiming
    await Promise.all(this.inFlight)
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.cycle(), ms)
  }

  private async cycle(): Promise<void> {
    if (this.claiming || this.stopped) return
    const room = this.maxInFlight - this.inFlight.size
    let full = false
    this.claiming = (async () => {
      if (room <= 0) return
      try {
        const jobs = await this.claim(room)
        full = jobs.length === room
        for (const j of jobs) {
          // Deliveries run on their own; a slow receiver holds one slot, not the worker.
          const p: Promise<void> = this.run(j)
            .catch((err) => this.o.log.warn({ err, delivery_id: j.id }, 'could not record a callback attempt; its lease will expire and it will be retried'))
            .finally(() => {
              this.inFlight.delete(p)
              // A delivery may have unblocked the next event of its call.
              this.nudge()
            })
          this.inFlight.add(p)
        }
      } catch (err) {
        this.o.log.warn({ err }, 'could not claim callbacks; will retry')
      }
    })()
    await this.claiming
    this.claiming = undefined
    if (this.stopped) return
    const next = full || this.again ? 0 : this.pollMs
    this.again = false
    this.schedule(next)
  }

  /** Due rows, each the earliest pending one of its call, leased to this worker. */
  async claim(limit: number): Promise<Job[]> {
    return this.o.database.rows<Job>(sql`
      with due as (
        select d.id from calls.callback_deliveries d
        where d.status = 'pending' and d.next_attempt_at <= now()
          and not exists (
            select 1 from calls.callback_deliveries e
            where e.call_id = d.call_id and e.sequence < d.sequence and e.status = 'pending')
        order by d.next_attempt_at, d.id
        limit ${limit}
        for update of d skip locked
      )
      update calls.callback_deliveries c
      set next_attempt_at = now() + ${this.leaseMs} * interval '1 millisecond'
      from due where c.id = due.id
      returning c.id, c.call_id, c.tenant_id, c.sequence, c.event_id, c.url, c.body, c.attempts`)
  }

  private async run(job: Job): Promise<void> {
    const at = new Date()
    const started = performance.now()
    const outcome = await this.send(job)
    await this.record(job, outcome, at, Math.round(performance.now() - started))
  }

  /** One POST; never throws. */
  async send(job: Job): Promise<Outcome> {
    let secrets: string[]
    try {
      secrets = await this.o.secrets.get(job.tenant_id)
    } catch (e) {
      return { statusCode: null, error: `signing secret unavailable: ${(e as Error).message}`, ok: false, permanent: false, ours: true }
    }
    try {
      const url = parseCallbackUrl(job.url)
      const addresses = await checkCallbackTarget(url, { allowPrivate: this.o.allowPrivate, resolve: this.o.resolve })
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'masking-callbacks/1',
        [SIGNATURE_HEADER]: signatureHeader(secrets, job.body),
        'x-masking-event-id': job.event_id,
      }
      // Connect to an address we checked (each in turn, like any client), so a DNS answer cannot
      // change in between (rebinding). https still names the host: SNI and the certificate check.
      const host = url.hostname.replace(/^\[|\]$/g, '')
      const pinned = !isIP(host)
      const targets = pinned ? addresses.slice(0, 3).map((a) => withAddress(url, a)) : [url]
      if (pinned) headers.host = url.host
      const tls = url.protocol !== 'https:' ? undefined : pinned ? pinnedTls(host, this.o.ca) : this.o.ca ? { ca: this.o.ca } : undefined
      const signal = AbortSignal.timeout(this.timeoutMs)
      let res: Response | undefined
      for (const [i, target] of targets.entries()) {
        try {
          res = await fetch(target, { method: 'POST', body: job.body, headers, redirect: 'manual', signal, ...(tls ? { tls } : {}) })
          break
        } catch (e) {
          // Only a refused connection moves on to the next address; anything else is the answer.
          if (i === targets.length - 1 || (e as { code?: string }).code !== 'ECONNREFUSED') throw e
        }
      }
      if (!res) throw new Error('no address to send to')
      // Read (a bounded part of) the answer so the connection can be reused.
      await readSome(res)
      const ok = res.status >= 200 && res.status < 300
      return { statusCode: res.status, error: ok ? null : `HTTP ${res.status}`, ok, permanent: false, ours: false }
    } catch (e) {
      if (e instanceof CallbackUrlError) return { statusCode: null, error: e.message, ok: false, permanent: e.permanent, ours: false }
      const err = e as Error
      const error = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${this.timeoutMs / 1000}s` : err.message || String(e)
      return { statusCode: null, error, ok: false, permanent: false, ours: false }
    }
  }

  private async record(job: Job, o: Outcome, at: Date, durationMs: number): Promise<void> {
    const d = callbackDeliveries
    if (o.ours) {
      await this.o.database.db
        .update(d)
        .set({ nextAttemptAt: new Date(Date.now() + OUR_FAILURE_RETRY_MS), lastError: o.error })
        .where(eq(d.id, job.id))
      return
    }
    const attempts = job.attempts + 1
    const entry = JSON.stringify([{ at: at.toISOString(), status_code: o.statusCode, error: o.error, duration_ms: durationMs }])
    const delay = o.ok || o.permanent ? null : retryDelayMs(attempts)
    const status = o.ok ? 'delivered' : o.permanent || delay === null ? 'failed' : 'pending'
    await this.o.database.db
      .update(d)
      .set({
        status,
        attempts,
        lastAttemptAt: at,
        lastStatusCode: o.statusCode,
        lastError: o.error,
        // Sent as text and cast: a string bound straight to jsonb would be stored as a JSON string.
        attemptLog: sql`${d.attemptLog} || ${entry}::text::jsonb`,
        ...(o.ok ? { deliveredAt: new Date() } : {}),
        ...(status === 'pending' ? { nextAttemptAt: new Date(Date.now() + delay!) } : {}),
      })
      .where(eq(d.id, job.id))
    callbackAttempts.inc({ outcome: o.ok ? 'delivered' : status === 'failed' ? 'failed' : 'retry' })
    const log = { delivery_id: job.id, call_id: job.call_id, sequence: job.sequence, attempts, status_code: o.statusCode }
    if (o.ok) this.o.log.debug(log, 'callback delivered')
    else if (status === 'failed') this.o.log.warn({ ...log, error: o.error, max_attempts: MAX_ATTEMPTS }, 'callback given up')
    else this.o.log.info({ ...log, error: o.error, retry_in_ms: delay }, 'callback failed; will retry')
  }
}

/** TLS to a pinned address: SNI and the certificate check use the URL's host, not the address. */
function pinnedTls(host: string, ca?: string) {
  return {
    serverName: host,
    checkServerIdentity: (_address: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
    ...(ca ? { ca } : {}),
  }
}

function withAddress(url: URL, address: string): URL {
  const u = new URL(url)
  u.hostname = isIP(address) === 6 ? `[${address}]` : address
  return u
}

async function readSome(res: Response): Promise<void> {
  const reader = res.body?.getReader()
  if (!reader) return
  let read = 0
  try {
    while (read < MAX_BODY_READ) {
      const { done, value } = await reader.read()
      if (done) return
      read += value.byteLength
    }
    await reader.cancel()
  } catch {
    // the status is what matters
  }
}
