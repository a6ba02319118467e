/**
 * Sessions' read model of the DID inventory: which numbers each tenant holds and whether they
 * are active or suspended, kept in memory so creating a session and routing a call need no bus
 * round trip to did. Fed by `did.assignment.changed` (every instance hears every change), filled
 * on a miss with `did.tenant.numbers` / `did.number.lookup`, and refreshed in the background once
 * an entry is older than the TTL, so a missed event heals within the TTL.
 *
 * A fetch that overlaps a change event for the same tenant or number is discarded and repeated,
 * so an older answer never overwrites a newer event.
 */
import type { Bus } from '../../shared/bus/bus'
import { did, type NumberState } from '../../shared/contracts/did'
import type { PayloadOf } from '../../shared/contracts/define'
import { isAppError } from '../../shared/errors'
import type { Logger } from '../../shared/log'

type Change = PayloadOf<typeof did.assignmentChanged>

interface TenantEntry {
  numbers: Map<string, NumberState>
  /** Changes whenever `numbers` does (allocation rebuilds its ranking then). */
  version: number
  loadedAt: number
  refreshing?: Promise<void>
}

export interface TenantNumbers {
  numbers: ReadonlyMap<string, NumberState>
  version: number
}

let versions = 0
/** Numbers per did.tenant.numbers page (about 200 bytes each, well under a NATS message). */
const PAGE = 1000
/** Numbers outside the pool remembered at most (then forgotten at once and asked again). */
const OUTSIDE_MAX = 100_000

interface NumberEntry {
  /** Who holds it now; null when nobody does or it is not in the pool. */
  holder: NumberState | null
  /** In the platform's pool at all (assigned, free or cooling down). */
  inPool: boolean
  loadedAt: number
}

export class NumberDirectory {
  private readonly tenants = new Map<string, TenantEntry>()
  private readonly loadingTenants = new Map<string, Promise<TenantEntry>>()
  /**
   * Who holds each known number. A number read with its tenant's list is kept as its state
   * alone (in the pool, trusted as long as the tenant's list): one object per number instead of
   * two (bench/RESULTS-scale.md, memory per number).
   */
  private readonly numbers = new Map<string, NumberEntry | NumberState>()
  /** Numbers did does not know (dialled numbers outside the pool); bounded. */
  private readonly outside = new Map<string, NumberEntry>()
  /** Whether parties' phones are in the pool (the destination policy asks); bounded. */
  private readonly membership = new Map<string, { inPool: boolean; at: number }>()
  /** Bumped by every change event, so a fetch can tell it raced one. */
  private readonly tenantEpoch = new Map<string, number>()
  private readonly numberEpoch = new Map<string, number>()

  constructor(
    private readonly bus: Bus,
    private readonly ttlMs: number,
    private readonly log?: Logger,
    private readonly pageSize = PAGE,
  ) {}

  /** The numbers a tenant holds now (active and suspended), by E.164; not a copy, do not change it. */
  async numbersOf(tenantId: string, requestId = ''): Promise<TenantNumbers> {
    let entry = this.tenants.get(tenantId)
    if (entry) {
      if (Date.now() - entry.loadedAt > this.ttlMs) this.refreshInBackground(tenantId, entry, requestId)
    } else {
      entry = await this.loadTenant(tenantId, requestId)
    }
    return { numbers: entry.numbers, version: entry.version }
  }

  /** Who holds a number now (null: nobody, or not in the pool). */
  async holderOf(e164: string, requestId = ''): Promise<NumberState | null> {
    return (await this.entryOf(e164, requestId)).holder
  }

  /**
   * Which of `list` are the platform's own numbers (in the DID pool, whatever their state): from
   * memory where known within the TTL, the rest in one `did.number.known` request.
   */
  async platformNumbers(list: readonly string[], requestId = ''): Promise<boolean[]> {
    const now = Date.now()
    const known = (e164: string): boolean | undefined => {
      const n = this.known(e164) ?? this.outside.get(e164)
      if (n && now - n.loadedAt <= this.ttlMs) return n.inPool
      const m = this.membership.get(e164)
      return m && now - m.at <= this.ttlMs ? m.inPool : undefined
    }
    const missing = [...new Set(list.filter((n) => known(n) === undefined))]
    if (missing.length) {
      const epochs = missing.map((n) => this.numberEpoch.get(n) ?? 0)
      const { known: inPool } = await this.bus.request(did.knownNumbers, { numbers: missing }, { requestId })
      const set = new Set(inPool)
      if (this.membership.size >= OUTSIDE_MAX) this.membership.clear()
      // A change event that arrived meanwhile already said "in the pool"; the answer may not undo it.
      missing.forEach((n, i) => {
        if ((this.numberEpoch.get(n) ?? 0) === epochs[i]) this.membership.set(n, { inPool: set.has(n), at: Date.now() })
      })
      return list.map((n) => known(n) ?? set.has(n))
    }
    return list.map((n) => known(n)!)
  }

  private async entryOf(e164: string, requestId: string): Promise<NumberEntry> {
    const entry = this.known(e164) ?? this.outside.get(e164)
    if (entry) {
      if (Date.now() - entry.loadedAt > this.ttlMs) void this.lookup(e164, requestId).catch(() => undefined)
      return entry
    }
    return this.lookup(e164, requestId)
  }

  /**
   * Forgets everything (the bus reconnected: `did.assignment.changed` events may have been
   * missed); the next use asks did again instead of waiting out the TTL.
   */
  clear(): void {
    for (const k of this.tenants.keys()) this.tenantEpoch.set(k, (this.tenantEpoch.get(k) ?? 0) + 1)
    for (const k of this.numbers.keys()) this.numberEpoch.set(k, (this.numberEpoch.get(k) ?? 0) + 1)
    this.tenants.clear()
    this.numbers.clear()
    this.outside.clear()
    this.membership.clear()
  }

  apply(c: Change): void {
    this.tenantEpoch.set(c.tenant_id, (this.tenantEpoch.get(c.tenant_id) ?? 0) + 1)
    this.numberEpoch.set(c.e164, (this.numberEpoch.get(c.e164) ?? 0) + 1)
    this.outside.delete(c.e164)
    this.membership.delete(c.e164)
    const now = Date.now()
    if (c.status === 'released') {
      this.change(c.tenant_id, (m) => m.delete(c.e164))
      this.numbers.set(c.e164, { holder: null, inPool: true, loadedAt: now })
      return
    }
    const state: NumberState = { e164: c.e164, did_id: c.did_id, assignment_id: c.assignment_id, tenant_id: c.tenant_id, country: c.country, status: c.status }
    // A number moving to another tenant leaves the previous holder's list.
    const previous = this.known(c.e164)?.holder
    if (previous && previous.tenant_id !== c.tenant_id) this.change(previous.tenant_id, (m) => m.delete(c.e164))
    this.change(c.tenant_id, (m) => m.set(c.e164, state))
    this.numbers.set(c.e164, { holder: state, inPool: true, loadedAt: now })
  }

  private change(tenantId: string, f: (m: Map<string, NumberState>) => void): void {
    const entry = this.tenants.get(tenantId)
    if (!entry) return
    f(entry.numbers)
    entry.version = ++versions
  }

  private loadTenant(tenantId: string, requestId: string): Promise<TenantEntry> {
    let p = this.loadingTenants.get(tenantId)
    if (!p) {
      p = this.fetchTenant(tenantId, requestId).finally(() => this.loadingTenants.delete(tenantId))
      this.loadingTenants.set(tenantId, p)
    }
    return p
  }

  private async fetchTenant(tenantId: string, requestId: string): Promise<TenantEntry> {
    for (let attempt = 0; ; attempt++) {
      const epoch = this.tenantEpoch.get(tenantId) ?? 0
      const numbers = new Map<string, NumberState>()
      for (let after: string | undefined; ; ) {
        const page = await this.bus.request(did.tenantNumbers, { tenant_id: tenantId, limit: this.pageSize, ...(after ? { after } : {}) }, { requestId })
        for (const n of page.numbers) numbers.set(n.e164, n)
        if (page.numbers.length < this.pageSize) break
        after = page.numbers[page.numbers.length - 1]!.did_id
      }
      if ((this.tenantEpoch.get(tenantId) ?? 0) !== epoch && attempt < 3) continue
      const previous = this.tenants.get(tenantId)
      if (previous && sameNumbers(previous.numbers, numbers)) {
        // A refresh that found nothing new keeps the version, so allocation keeps its ranking.
        previous.loadedAt = Date.now()
        return previous
      }
      const entry: TenantEntry = { numbers, version: ++versions, loadedAt: Date.now() }
      this.tenants.set(tenantId, entry)
      // No event for this tenant arrived meanwhile, so these are current for the numbers too.
      for (const n of numbers.values()) this.numbers.set(n.e164, n)
      return entry
    }
  }

  /** A known number as an entry; one read with its tenant's list is as fresh as that list. */
  private known(e164: string): NumberEntry | undefined {
    const v = this.numbers.get(e164)
    if (v === undefined || 'holder' in v) return v
    const tenant = this.tenants.get(v.tenant_id)
    // Its tenant's list was dropped or replaced without it: stale, asked again at use.
    const current = tenant?.numbers.get(e164) === v
    return { holder: v, inPool: true, loadedAt: current ? tenant!.loadedAt : 0 }
  }

  private refreshInBackground(tenantId: string, entry: TenantEntry, requestId: string): void {
    if (entry.refreshing) return
    entry.refreshing = this.fetchTenant(tenantId, requestId)
      .then(() => undefined)
      .catch((err) => {
        // Keep serving the old list; the next request past the TTL tries again.
        this.log?.warn({ err, tenant_id: tenantId }, 'could not refresh the numbers of a tenant')
        entry.loadedAt = Date.now() - this.ttlMs / 2
      })
      .finally(() => {
        entry.refreshing = undefined
      })
  }

  private async lookup(e164: string, requestId: string): Promise<NumberEntry> {
    for (let attempt = 0; ; attempt++) {
      const epoch = this.numberEpoch.get(e164) ?? 0
      let holder: NumberState | null
      let inPool = true
      try {
        holder = (await this.bus.request(did.lookupNumber, { e164 }, { requestId })).holder
      } catch (e) {
        if (!(isAppError(e) && e.code === 'did_not_found')) throw e
        holder = null
        inPool = false
      }
      if ((this.numberEpoch.get(e164) ?? 0) !== epoch && attempt < 3) continue
      const entry = { holder, inPool, loadedAt: Date.now() }
      if (inPool) {
        this.numbers.set(e164, entry)
        this.outside.delete(e164)
      } else {
        if (this.outside.size >= OUTSIDE_MAX) this.outside.clear()
        this.outside.set(e164, entry)
        this.numbers.delete(e164)
      }
      return entry
    }
  }
}

function sameNumbers(a: ReadonlyMap<string, NumberState>, b: ReadonlyMap<string, NumberState>): boolean {
  if (a.size !== b.size) return false
  for (const [e164, n] of b) {
    const m = a.get(e164)
    if (!m || m.status !== n.status || m.assignment_id !== n.assignment_id) return false
  }
  return true
}
