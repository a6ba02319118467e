/**
 * The sessions rules (DESIGN.md, tenant REST API and number sharing) over the store, the DID read
 * model and the tenant settings: create (explicit number or automatic allocation), read, list,
 * complete, route, expire, and end on a number's release. Every end of a session is announced
 * on the bus (`sessions.session.completed` / `.expired`).
 */
import type { Bus, BusContext } from '../../shared/bus/bus'
import { did } from '../../shared/contracts/did'
import { sessions as contract, type CreateSessionInput, type RouteDecision, type Session, type UpdateSessionInput } from '../../shared/contracts/sessions'
import { checkPromptRef } from '../../shared/prompts/prompt-ref'
import { AppError, isAppError, validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import type { Logger } from '../../shared/log'
import { normalizeForMatch } from '../../shared/phone'
import { NumberAllocator } from './allocate-number'
import { checkCreate, type CheckedCreate } from './create-input'
import { destinationNotAllowed, type Destinations } from './destinations'
import { countEnded, sessionsCreated } from './metrics'
import type { NumberDirectory } from './number-directory'
import { bridgeTo, decideRoute, isLive } from './route-decision'
import { randomPins } from './pins'
import type { RouteIndex } from './route-index'
import { ConflictError, toSession, type Guard, type SessionRow, type SessionStore } from './session-store'
import type { TenantSettings } from './tenant-settings'

const MINUTE_MS = 60_000
/** New PIN pairs tried on one number before it counts as full (with 4+ digits, a clash is rare). */
const PIN_ATTEMPTS = 8

export class SessionLifecycle {
  readonly allocator: NumberAllocator

  constructor(
    private readonly bus: Bus,
    private readonly store: SessionStore,
    private readonly directory: NumberDirectory,
    private readonly settings: TenantSettings,
    private readonly log: Logger,
    private readonly index: RouteIndex,
    private readonly destinations: Destinations,
    private readonly defaultRegion?: string,
  ) {
    this.allocator = new NumberAllocator(store, (tenantId, e164) => this.heal(tenantId, e164))
  }

  async create(tenantId: string, input: CreateSessionInput, ctx: Partial<BusContext>): Promise<Session> {
    const c = checkCreate(input)
    const requestId = ctx.requestId ?? ''
    if (c.greetingPrompt) await this.checkPrompt(tenantId, c.greetingPrompt, ['body', 'greeting_prompt'], requestId)
    const [sharing, held, refusals, recordDefault] = await Promise.all([
      this.settings.sharing(tenantId, requestId),
      this.directory.numbersOf(tenantId, requestId),
      this.destinations.refusals(tenantId, [c.driver, c.customer], requestId),
      this.settings.recordCalls(tenantId, requestId),
    ])
    c.record ??= recordDefault
    const [driverRefusal, customerRefusal] = refusals
    if (driverRefusal) throw destinationNotAllowed('driver_phone', driverRefusal)
    if (customerRefusal) throw destinationNotAllowed('customer_phone', customerRefusal)
    // PIN sessions share numbers with each other in either sharing mode (their PINs tell them apart).
    const exclusive = !c.pinRequired && sharing === 'exclusive'
    const guard: Guard = c.pinRequired ? 'pin' : exclusive ? 'whole' : 'parties'
    let row: SessionRow
    try {
      row = c.masked
        ? await this.createOnNumber(tenantId, c.masked, held.numbers.get(c.masked), (e164) => this.insert(tenantId, c, e164, !c.pinRequired, c.pinRequired ? 'pin' : 'whole', ctx), requestId)
        : await this.allocator.allocate({ tenantId, exclusive, driver: c.driver, customer: c.customer, customerCountry: c.customerCountry, held, guard }, (e164) =>
            this.insert(tenantId, c, e164, exclusive, guard, ctx),
          )
    } catch (e) {
      throw await this.sessionExistsInstead(tenantId, c.orderId, e)
    }
    sessionsCreated.inc()
    this.index.put(row)
    const session = toSession(row)
    this.bus.publish(contract.created, session, ctx)
    return session
  }

  /**
   * A create that found no number (pool full, number busy or not this tenant's) while an open
   * session holds its `order_id` is told about that session: it is what the client should use.
   * Checked only on this error path, so a successful create pays nothing for it.
   */
  private async sessionExistsInstead(tenantId: string, orderId: string | null, e: unknown): Promise<unknown> {
    const numberRefusal = isAppError(e) && ['no_masked_number_available', 'masked_number_busy', 'masked_number_not_assigned', 'masked_number_not_found'].includes(e.code)
    if (!numberRefusal || !orderId) return e
    const open = await this.store.openByOrder(tenantId, orderId)
    if (!open || !isLive(open, new Date())) return e
    return new AppError('session_exists', `an open session for order ${orderId} exists: ${open.id}`, { extra: { session_id: open.id } })
  }

  /** Explicit `masked_e164`: in the pool (404), actively this tenant's (403), free of live sessions (409). */
  private async createOnNumber(
    tenantId: string,
    e164: string,
    held: { status: string } | undefined,
    insert: (e164: string) => Promise<SessionRow | undefined>,
    requestId: string,
  ): Promise<SessionRow> {
    if (!held || held.status !== 'active') {
      // The error path asks did itself: it tells "not in the pool" from "not yours", and the read model may lag a fresh assignment.
      let holder
      try {
        holder = (await this.bus.request(did.lookupNumber, { e164 }, { requestId })).holder
      } catch (e) {
        if (isAppError(e) && e.code === 'did_not_found') throw new AppError('masked_number_not_found', `${e164} is not a masked number of this platform`)
        throw e
      }
      if (holder?.tenant_id !== tenantId) throw new AppError('masked_number_not_assigned', `${e164} is not assigned to this tenant`)
      if (holder.status !== 'active') throw new AppError('masked_number_not_assigned', `${e164} is suspended`)
    }
    const busy = () => new AppError('masked_number_busy', `${e164} already carries an open session`)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // An explicitly chosen number must be free of live sessions and is then held alone, in either sharing mode.
        const row = await insert(e164)
        if (!row) throw busy()
        return row
      } catch (e) {
        if (!(e instanceof ConflictError) || e.conflict === 'order') throw e
        if ((await this.heal(tenantId, e164)) === 0) throw busy()
      }
    }
    throw busy()
  }

  /** Inserts one session if the number is free for it (else undefined); an open session with the same order id is a 409 naming it. */
  private async insert(tenantId: string, c: CheckedCreate, e164: string, exclusive: boolean, guard: Guard, ctx: Partial<BusContext>): Promise<SessionRow | undefined> {
    for (let attempt = 0, pinClashes = 0; ; attempt++) {
      const now = new Date()
      const pins = c.pinRequired ? randomPins(c.pinLength!) : null
      const row: SessionRow = {
        id: newId('ses', now.getTime()),
        tenantId,
        orderId: c.orderId,
        driverPhone: c.driver,
        customerPhone: c.customer,
        maskedE164: e164,
        exclusive,
        status: 'open',
        ttlMinutes: c.ttlMinutes,
        createdAt: now,
        expiresAt: new Date(now.getTime() + c.ttlMinutes * MINUTE_MS),
        endedAt: null,
        endReason: null,
        pinRequired: c.pinRequired,
        pinLength: c.pinLength,
        driverPin: pins?.driver ?? null,
        customerPin: pins?.customer ?? null,
        callTimeLimitSeconds: c.callTimeLimitSeconds,
        ringTimeoutSeconds: c.ringTimeoutSeconds,
        greetingPrompt: c.greetingPrompt,
        record: c.record ?? false,
      }
      try {
        return (await this.store.insertIfFree(row, guard)) ? row : undefined
      } catch (e) {
        if (e instanceof ConflictError && e.conflict === 'pin') {
          // A PIN already open on this number (or left by a lapsed, unswept session): new PINs.
          if (++pinClashes >= PIN_ATTEMPTS) return undefined
          await this.store.clearLapsedPins(e164, new Date())
          continue
        }
        if (!(e instanceof ConflictError && e.conflict === 'order' && c.orderId)) throw e
        const open = await this.store.openByOrder(tenantId, c.orderId)
        if (open && isLive(open, new Date())) {
          throw new AppError('session_exists', `an open session for order ${c.orderId} exists: ${open.id}`, { extra: { session_id: open.id } })
        }
        // It lapsed (not yet swept) or ended meanwhile: expire it and insert again.
        this.announce(await this.store.expireLapsedOrder(tenantId, c.orderId, new Date()), ctx)
        if (attempt >= 2) throw new AppError('session_exists', `an open session for order ${c.orderId} exists`)
      }
    }
  }

  /** Ends what wrongly blocks a number; returns how many sessions that was. */
  private async heal(tenantId: string, e164: string): Promise<number> {
    const ended = await this.store.healNumber(tenantId, e164, new Date())
    this.announce(ended, {})
    return ended.length
  }

  async get(tenantId: string, ref: string): Promise<Session> {
    const row = await this.store.findByRef(tenantId, ref)
    if (!row) throw new AppError('session_not_found', `session ${ref} not found`)
    return toSession(row)
  }

  list(tenantId: string, q: Parameters<SessionStore['list']>[1]) {
    return this.store.list(tenantId, q, new Date())
  }

  /** Ends a live session; on an ended one answers it with `already_ended: true`. */
  async complete(tenantId: string, ref: string, ctx: Partial<BusContext>): Promise<Session & { already_ended?: boolean }> {
    const row = await this.store.findByRef(tenantId, ref)
    if (!row) throw new AppError('session_not_found', `session ${ref} not found`)
    if (isLive(row, new Date())) {
      const done = await this.store.complete(tenantId, row.id, new Date())
      if (done) {
        this.announce([done], ctx)
        return toSession(done)
      }
    }
    // Already over. One that lapsed but was not swept yet is marked expired now.
    const expired = row.status === 'open' ? await this.store.expireOne(tenantId, row.id, new Date()) : []
    this.announce(expired, ctx)
    const current = expired[0] ?? (await this.store.findByRef(tenantId, row.id)) ?? row
    return { ...toSession(current), already_ended: true }
  }

  /**
   * A new life and/or new limits for an open session: `ttl_minutes` counts from now; expiry, the
   * sweeper, number sharing and the route index follow at once. An ended one is 409 `session_not_open`.
   */
  async update(tenantId: string, ref: string, input: UpdateSessionInput, ctx: Partial<BusContext>): Promise<Session> {
    const fields = ['ttl_minutes', 'call_time_limit_seconds', 'ring_timeout_seconds', 'greeting_prompt'] as const
    if (!fields.some((f) => input[f] !== undefined)) {
      throw validationError([{ loc: ['body'], msg: `give at least one of ${fields.join(', ')}`, type: 'missing' }])
    }
    const row = await this.store.findByRef(tenantId, ref)
    if (!row) throw new AppError('session_not_found', `session ${ref} not found`)
    const notOpen = () => new AppError('session_not_open', `session ${row.id} has ended; create a new one`)
    const now = new Date()
    if (!isLive(row, now)) throw notOpen()
    if (input.greeting_prompt) await this.checkPrompt(tenantId, input.greeting_prompt, ['body', 'greeting_prompt'], ctx.requestId ?? '')
    const updated = await this.store.update(
      tenantId,
      row.id,
      {
        ttlMinutes: input.ttl_minutes,
        expiresAt: input.ttl_minutes === undefined ? undefined : new Date(now.getTime() + input.ttl_minutes * MINUTE_MS),
        callTimeLimitSeconds: input.call_time_limit_seconds,
        ringTimeoutSeconds: input.ring_timeout_seconds,
        greetingPrompt: input.greeting_prompt,
      },
      now,
    )
    if (!updated) throw notOpen()
    this.index.put(updated)
    const session = toSession(updated)
    this.bus.publish(contract.updated, session, ctx)
    return session
  }

  private checkPrompt(tenantId: string, ref: string, loc: string[], requestId: string): Promise<void> {
    return checkPromptRef(this.bus, tenantId, ref, loc, requestId)
  }

  /** After `collect_pin`: the PIN names the session and who is calling; anything else is `wrong_pin`. */
  async routePin(req: { to: string; from: string; pin: string }, ctx: Partial<BusContext>): Promise<RouteDecision> {
    const to = normalizeForMatch(req.to, this.defaultRegion)
    const holder = await this.directory.holderOf(to, ctx.requestId)
    const now = new Date()
    if (holder?.status !== 'active') return decideRoute({ to, from: req.from, number: holder && { tenant_id: holder.tenant_id, status: holder.status }, sessions: [], now })
    const hit = await this.store.byPin(holder.tenant_id, to, req.pin, now)
    if (!hit) return { action: 'refuse', reason: 'wrong_pin', sip_status: 403, tenant_id: holder.tenant_id, prompt: 'builtin:wrong_pin' }
    return this.policed(bridgeTo(hit.row, hit.party, to), ctx)
  }

  /**
   * The destination policy applied again to the party to be rung (defence in depth: the
   * tenant's countries or the pool may have changed since the create).
   */
  private async policed(d: RouteDecision, ctx: Partial<BusContext>): Promise<RouteDecision> {
    if (d.action !== 'bridge') return d
    const [refusal] = await this.destinations.refusals(d.tenant_id, [d.target], ctx.requestId)
    return refusal ? { action: 'refuse', reason: 'destination_not_allowed', sip_status: 403 } : d
  }

  /** Why each number may not be dialled for the tenant (originate checks both legs with this). */
  async checkDestinations(tenantId: string, numbers: string[], ctx: Partial<BusContext>) {
    const r = await this.destinations.refusals(tenantId, numbers, ctx.requestId)
    return { refused: numbers.flatMap((e164, i) => (r[i] ? [{ e164, reason: r[i]! }] : [])) }
  }

  async route(req: { to: string; from: string }, ctx: Partial<BusContext>): Promise<RouteDecision> {
    const { decision, tenantId } = await this.decide(req, ctx)
    if (decision.action === 'bridge') return this.policed(decision, ctx)
    // A refused caller of a tenant's number hears the tenant's prompt for it, and the tenant is told, if it chose so.
    if (decision.action === 'refuse' && tenantId && (decision.reason === 'no_session' || decision.reason === 'unknown_caller')) {
      const { prompt, callbackUrl } = await this.settings.unmatched(tenantId, decision.reason, ctx.requestId)
      if (prompt || callbackUrl) return { ...decision, tenant_id: tenantId, prompt, ...(callbackUrl && { callback_url: callbackUrl }) }
    }
    if (decision.action === 'collect_pin') {
      const { callbackUrl } = await this.settings.unmatched(decision.tenant_id, 'wrong_pin', ctx.requestId)
      if (callbackUrl) return { ...decision, callback_url: callbackUrl }
    }
    return decision
  }

  private async decide(req: { to: string; from: string }, ctx: Partial<BusContext>): Promise<{ decision: RouteDecision; tenantId?: string }> {
    const to = normalizeForMatch(req.to, this.defaultRegion)
    const from = normalizeForMatch(req.from, this.defaultRegion)
    const holder = await this.directory.holderOf(to, ctx.requestId)
    const number = holder && { tenant_id: holder.tenant_id, status: holder.status }
    const now = new Date()
    if (holder?.status !== 'active') return { decision: decideRoute({ to, from, number, sessions: [], now }) }
    const tenantId = holder.tenant_id
    // The caller's open session on this number, from memory when the index has it (route-index.ts).
    const known = this.index.get(to, from, now)
    if (known?.tenantId === tenantId) return { decision: decideRoute({ to, from, number, sessions: [known], now }), tenantId }
    const version = this.index.versionOf(to, from)
    const rows = await this.store.routeCandidates(tenantId, to, from, now)
    const mine = rows.find((r) => !r.pinRequired && (r.driverPhone === from || r.customerPhone === from) && isLive(r, now))
    if (mine) this.index.fill(to, from, mine, version)
    return { decision: decideRoute({ to, from, number, sessions: rows, now }), tenantId }
  }


  /** Marks every lapsed session expired and announces each; returns how many. */
  async sweep(batch = 500): Promise<number> {
    let total = 0
    for (;;) {
      const rows = await this.store.sweep(new Date(), batch)
      this.announce(rows, {})
      total += rows.length
      if (rows.length < batch) return total
    }
  }

  /** A released number's open sessions of its former tenant end (`number_released`). */
  async numberReleased(tenantId: string, e164: string, ctx: Partial<BusContext>): Promise<number> {
    const ended = await this.store.endForReleasedNumber(tenantId, e164, new Date())
    this.announce(ended, ctx)
    if (ended.length) this.log.info({ tenant_id: tenantId, e164, sessions: ended.length }, 'ended sessions of a released number')
    return ended.length
  }

  /** Every end of a session passes here: counted, dropped from the route index, announced. */
  private announce(rows: SessionRow[], ctx: Partial<BusContext>): void {
    countEnded(rows)
    for (const r of rows) this.index.drop(r)
    for (const r of rows) this.bus.publish(r.status === 'expired' ? contract.expired : contract.completed, toSession(r), ctx)
  }
}
