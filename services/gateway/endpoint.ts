/**
 * One gateway endpoint = one declaration: method, path, who may call it, its TypeBox schemas and
 * its handler. The same declaration drives the request pipeline (request id → auth → scope →
 * rate limit → validation → handler → error shape) and the OpenAPI document, so the two cannot
 * drift apart.
 */
import type { Static, TObject } from '@sinclair/typebox'
import type { Scope } from '../../shared/contracts/common'
import type { Actor, Principal } from '../../shared/contracts/identity'
import type { Bus } from '../../shared/bus/bus'

export type Access = { kind: 'tenant'; scope: Scope } | { kind: 'admin' } | { kind: 'public' }

export const tenant = (scope: Scope): Access => ({ kind: 'tenant', scope })
export const admin: Access = { kind: 'admin' }
export const publicAccess: Access = { kind: 'public' }

type StaticOr<S, Else> = S extends TObject ? Static<S> : Else

export interface HandlerInput<Q, P, B> {
  query: Q
  params: P
  body: B
  /** The raw body of a `binaryBody` endpoint. */
  bytes: Uint8Array
  /** Present on tenant endpoints: who is calling, from the verified key. */
  principal: Principal
  requestId: string
  /** Bus context: request id, and the tenant for tenant endpoints (never from client input). */
  ctx: { requestId: string; tenantId?: string; idempotencyKey?: string }
  actor: Actor
  bus: Bus
  /** Drops a key from this gateway's cache (before replying to a revoke or rotate). */
  evictKey(keyId: string): void
}

/** A non-200 answer from a handler. */
export class Reply {
  constructor(readonly status: number, readonly body: unknown) {}
}

export interface Endpoint<Q extends TObject | undefined = TObject | undefined, P extends TObject | undefined = TObject | undefined, B extends TObject | undefined = TObject | undefined> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** OpenAPI style: `/v1/api-keys/{api_key_id}`. */
  path: string
  access: Access
  summary: string
  description?: string
  tags: string[]
  operationId?: string
  query?: Q
  params?: P
  body?: B
  /**
   * A raw (non-JSON) body instead of `body`, handed to the handler as bytes: its media types and
   * size bound (a larger one is a 422 naming `size`, and is not read past the bound).
   */
  binaryBody?: { contentTypes: string[]; maxBytes: number; description: string }
  /** Statuses this endpoint documents besides 200 and 422, with what they mean. */
  errors?: Record<number, string>
  /** POST endpoints replay their first answer for a repeated `Idempotency-Key`. */
  idempotent?: boolean
  handle(input: HandlerInput<StaticOr<Q, Record<string, never>>, StaticOr<P, Record<string, never>>, StaticOr<B, undefined>>): Promise<unknown>
}

/** Declares an endpoint with its handler's input typed from its schemas. */
export function endpoint<Q extends TObject | undefined = undefined, P extends TObject | undefined = undefined, B extends TObject | undefined = undefined>(
  e: Endpoint<Q, P, B>,
): Endpoint {
  return e as unknown as Endpoint
}
