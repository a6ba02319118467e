/**
 * The open sessions by (masked number, party phone), in memory, so `sessions.route` (on the
 * signalling path of every call) answers without a database round trip. It is a read model like
 * the number directory: this instance puts what it creates and drops what it ends at once; every
 * other instance's creates and ends arrive as `sessions.session.*` events; anything else (a
 * session created before this process started, an entry pushed out by the size bound) is a miss
 * that goes to the database and fills the entry.
 *
 * What keeps a stale "open" from routing a call:
 * - expiry is checked at use against `expires_at`, so a lapsed session never routes;
 * - an end drops the key and leaves a tombstone naming the session, so a late `created` event of
 *   that session, or a database read that started before the end, cannot bring it back;
 * - the bus dropping its connection clears everything (events sent meanwhile were missed);
 * - entries are trusted for `ttlMs` at most, then read again from the database.
 * Only positive answers are kept: a caller who is not a party always reaches the database.
 */
import { isLive, type RouteSession } from './route-decision'

interface Entry {
  /** The session the caller is a party of, or null: a tombstone for `endedId`. */
  session: RouteSession | null
  endedId?: string
  /** Bumped by every put and drop, so a fill can tell it raced one. */
  version: number
  at: number
}

export class RouteIndex {
  private readonly entries = new Map<string, Entry>()
  private readonly tenantIds = new Map<string, string>()
  private clock = 0
  hits = 0
  misses = 0

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size
  }

  /** The live session `from` is a party of on `to`, if the index knows it. */
  get(to: string, from: string, at: Date): RouteSession | undefined {
    if (this.ttlMs === 0) return undefined
    const e = this.entries.get(key(to, from))
    const s = e?.session
    if (!s || this.now() - e.at > this.ttlMs || !isLive(s, at)) {
      this.misses++
      return undefined
    }
    this.hits++
    return s
  }

  /** The version of a key before a database read, for `fill`. */
  versionOf(to: string, from: string): number {
    return this.entries.get(key(to, from))?.version ?? 0
  }

  /** A database read's answer, kept only if nothing changed the key since `version` was taken. */
  fill(to: string, from: string, session: RouteSession, version: number): void {
    if (this.ttlMs === 0 || this.versionOf(to, from) !== version) return
    this.set(key(to, from), { session: this.slim(session), version: ++this.clock, at: this.now() })
  }

  /** A session that is open now (created here, or announced by another instance). */
  put(s: RouteSession): void {
    // PIN sessions are found by PIN (the database), never by a caller's phone.
    if (this.ttlMs === 0 || s.status !== 'open' || s.pinRequired) return
    const session = this.slim(s)
    for (const phone of [s.driverPhone, s.customerPhone]) {
      const k = key(s.maskedE164, phone)
      if (this.entries.get(k)?.endedId === s.id) continue // it ended already: a late `created`
      this.set(k, { session, version: ++this.clock, at: this.now() })
    }
  }

  /** A session that ended: its keys route nowhere until the database or a newer session says otherwise. */
  drop(s: Pick<RouteSession, 'id' | 'maskedE164' | 'driverPhone' | 'customerPhone'>): void {
    if (this.ttlMs === 0) return
    for (const phone of [s.driverPhone, s.customerPhone]) {
      const k = key(s.maskedE164, phone)
      const current = this.entries.get(k)?.session
      // A newer session on the same key (the old one ended, a new one opened) stays.
      if (current && current.id !== s.id) {
        this.entries.get(k)!.version = ++this.clock
        continue
      }
      this.set(k, { session: null, endedId: s.id, version: ++this.clock, at: this.now() })
    }
  }

  /** Forgets everything (the bus reconnected: events may have been missed). */
  clear(): void {
    this.entries.clear()
  }

  /**
   * What routing needs of a session, and nothing else: a database row or an event carries every
   * column (PINs, timestamps, TTL), and the tenant id is shared instead of one copy per session
   * (bench/RESULTS-scale.md, memory per open session).
   */
  private slim(s: RouteSession): RouteSession {
    let tenantId = this.tenantIds.get(s.tenantId)
    if (tenantId === undefined) {
      if (this.tenantIds.size >= 10_000) this.tenantIds.clear()
      this.tenantIds.set(s.tenantId, (tenantId = s.tenantId))
    }
    return {
      id: s.id,
      tenantId,
      orderId: s.orderId,
      driverPhone: s.driverPhone,
      customerPhone: s.customerPhone,
      maskedE164: s.maskedE164,
      status: s.status,
      expiresAt: s.expiresAt,
      pinRequired: s.pinRequired ?? false,
      callTimeLimitSeconds: s.callTimeLimitSeconds ?? null,
      ringTimeoutSeconds: s.ringTimeoutSeconds ?? null,
      greetingPrompt: s.greetingPrompt ?? null,
      record: s.record ?? false,
    }
  }

  private set(k: string, e: Entry): void {
    // Re-inserted keys move to the end, so the oldest entry is the first one.
    this.entries.delete(k)
    this.entries.set(k, e)
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
  }
}

const key = (to: string, from: string) => `${to}|${from}`
