/**
 * The typed bus every service talks through. It owns the conventions (DESIGN.md, bus
 * conventions): prefixed subjects, `{ok, data}` / `{ok:false, error}` replies, schemas validated
 * on receipt, request-id and tenant-id headers, queue groups, and the mapping of transport
 * failures to 503 `service_unavailable`.
 */
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { AppError, isAppError, type ValidationIssue } from '../errors'
import type { EventContract, PayloadOf, ReplyOf, RequestContract, RequestOf } from '../contracts/define'
import { isDatabaseUnavailable } from '../db/database'
import { busHandled, busRequests } from '../metrics'
import type { Logger } from '../log'
import { TransportError, type RawMessage, type Transport } from './transport'

export interface BusContext {
  requestId: string
  tenantId?: string
  /** The client's `Idempotency-Key`, for commands that honour it. */
  idempotencyKey?: string
}

export type RequestHandler<C extends RequestContract> = (data: RequestOf<C>, ctx: BusContext) => Promise<ReplyOf<C>>
export type EventHandler<E extends EventContract> = (data: PayloadOf<E>, ctx: BusContext) => void | Promise<void>

type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; status: number; extra?: Record<string, unknown>; issues?: ValidationIssue[] } }

const checks = new WeakMap<TSchema, TypeCheck<TSchema>>()
function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = checks.get(schema)
  if (!c) {
    c = TypeCompiler.Compile(schema)
    checks.set(schema, c)
  }
  return c
}

function issuesOf(schema: TSchema, value: unknown, root: string): ValidationIssue[] {
  return [...checker(schema).Errors(value)].slice(0, 10).map((e) => ({
    loc: [root, ...e.path.split('/').filter(Boolean)],
    msg: e.message,
    type: 'bus_schema',
  }))
}

export interface BusOptions {
  prefix: string
  service: string
  timeoutMs?: number
  log?: Logger
}

export class Bus {
  readonly prefix: string
  private readonly timeoutMs: number

  constructor(readonly transport: Transport, private readonly opts: BusOptions) {
    this.prefix = opts.prefix
    this.timeoutMs = opts.timeoutMs ?? 2000
  }

  subject(name: string): string {
    return `${this.prefix}.${name}`
  }

  async request<C extends RequestContract>(
    c: C,
    data: RequestOf<C>,
    ctx: Partial<BusContext> & { timeoutMs?: number } = {},
  ): Promise<ReplyOf<C>> {
    const started = performance.now()
    let outcome = 'ok'
    try {
      let text: string
      try {
        text = await this.transport.request(this.subject(c.subject), { data: JSON.stringify(data), headers: headersOf(ctx) }, ctx.timeoutMs ?? this.timeoutMs)
      } catch (e) {
        if (e instanceof TransportError) {
          outcome = e.reason
          throw new AppError('service_unavailable', `${serviceOf(c.subject)} service is not available (${e.reason.replace('_', ' ')})`)
        }
        throw e
      }
      const reply = JSON.parse(text) as Reply
      if (!reply.ok) {
        outcome = reply.error.code
        throw new AppError(reply.error.code, reply.error.message, {
          status: reply.error.status,
          extra: reply.error.extra,
          issues: reply.error.issues,
        })
      }
      if (!checker(c.reply).Check(reply.data)) {
        outcome = 'bad_reply'
        this.opts.log?.error({ subject: c.subject, issues: issuesOf(c.reply, reply.data, 'reply') }, 'reply does not match its schema')
        throw new AppError('bad_gateway', `${serviceOf(c.subject)} service sent a malformed reply`)
      }
      return reply.data as ReplyOf<C>
    } finally {
      busRequests.observe({ service: this.opts.service, subject: c.subject, outcome }, (performance.now() - started) / 1000)
    }
  }

  /**
   * Serves a subject in a queue group (default: one group per subject, so instances share it).
   * Returns how to stop serving it: the group's other members then get every request.
   */
  serve<C extends RequestContract>(c: C, handler: RequestHandler<C>, opts: { queue?: string } = {}): () => Promise<void> {
    const check = checker(c.request)
    return this.transport.reply(this.subject(c.subject), opts.queue ?? c.subject, async (msg) => {
      const started = performance.now()
      const ctx = contextOf(msg)
      let reply: Reply
      try {
        const data = JSON.parse(msg.data) as unknown
        if (!check.Check(data)) {
          throw new AppError('validation_error', `invalid ${c.subject} request`, { issues: issuesOf(c.request, data, 'bus') })
        }
        reply = { ok: true, data: await handler(data as RequestOf<C>, ctx) }
      } catch (e) {
        reply = { ok: false, error: this.errorOf(e, c.subject, ctx) }
      }
      busHandled.observe({ service: this.opts.service, subject: c.subject, outcome: reply.ok ? 'ok' : reply.error.code }, (performance.now() - started) / 1000)
      return JSON.stringify(reply)
    })
  }

  publish<E extends EventContract>(e: E, data: PayloadOf<E>, ctx: Partial<BusContext> = {}): void {
    this.transport.publish(this.subject(e.subject), { data: JSON.stringify(data), headers: headersOf(ctx) })
  }

  /** Every subscriber gets each event, unless it names a queue group (then one member does). */
  subscribe<E extends EventContract>(e: E, handler: EventHandler<E>, opts: { queue?: string } = {}): void {
    const check = checker(e.payload)
    this.transport.subscribe(this.subject(e.subject), opts.queue, async (msg) => {
      const data = JSON.parse(msg.data) as unknown
      if (!check.Check(data)) {
        this.opts.log?.warn({ subject: e.subject, issues: issuesOf(e.payload, data, 'event') }, 'dropped an event that does not match its schema')
        return
      }
      try {
        await handler(data as PayloadOf<E>, contextOf(msg))
      } catch (err) {
        this.opts.log?.error({ err, subject: e.subject }, 'event handler failed')
      }
    })
  }

  isConnected(): boolean {
    return this.transport.isConnected()
  }

  /** After a lost connection is back: events sent meanwhile were missed, so read models fed by events resync. */
  onReconnect(cb: () => void): void {
    this.transport.onReconnect(cb)
  }

  drain(): Promise<void> {
    return this.transport.drain()
  }

  private errorOf(e: unknown, subject: string, ctx: BusContext): Extract<Reply, { ok: false }>['error'] {
    if (isAppError(e)) {
      return { code: e.code, message: e.message, status: e.status, ...(e.extra ? { extra: e.extra } : {}), ...(e.issues ? { issues: e.issues } : {}) }
    }
    if (isDatabaseUnavailable(e)) {
      this.opts.log?.warn({ subject, request_id: ctx.requestId, err: String((e as Error)?.message ?? e) }, 'database unavailable')
      return { code: 'service_unavailable', message: `${serviceOf(subject)} service cannot reach its database right now; try again shortly`, status: 503 }
    }
    this.opts.log?.error({ err: e, subject, request_id: ctx.requestId }, 'handler failed')
    return { code: 'internal_error', message: 'internal error', status: 500 }
  }
}

function headersOf(ctx: Partial<BusContext>): Record<string, string> {
  const h: Record<string, string> = {}
  if (ctx.requestId) h['request-id'] = ctx.requestId
  if (ctx.tenantId) h['tenant-id'] = ctx.tenantId
  if (ctx.idempotencyKey) h['idempotency-key'] = ctx.idempotencyKey
  return h
}

function contextOf(msg: RawMessage): BusContext {
  return {
    requestId: msg.headers['request-id'] ?? '',
    tenantId: msg.headers['tenant-id'] || undefined,
    idempotencyKey: msg.headers['idempotency-key'] || undefined,
  }
}

function serviceOf(subject: string): string {
  return subject.split('.')[0] ?? subject
}

/** The tenant id a handler must have; the gateway sets it from the verified key. */
export function requireTenant(ctx: BusContext): string {
  if (!ctx.tenantId) throw new AppError('unauthorized', 'no tenant on this request')
  return ctx.tenantId
}
