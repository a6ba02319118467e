/**
 * How a bus subject is declared: its name (without the BUS_PREFIX) and the TypeBox schemas of
 * what travels on it. Both ends validate against these on receipt.
 */
import type { Static, TSchema } from '@sinclair/typebox'

export interface RequestContract<Req extends TSchema = TSchema, Rep extends TSchema = TSchema> {
  readonly kind: 'request'
  readonly subject: string
  readonly request: Req
  readonly reply: Rep
}

export interface EventContract<P extends TSchema = TSchema> {
  readonly kind: 'event'
  readonly subject: string
  readonly payload: P
}

export type RequestOf<C extends RequestContract> = Static<C['request']>
export type ReplyOf<C extends RequestContract> = Static<C['reply']>
export type PayloadOf<E extends EventContract> = Static<E['payload']>

export function request<Req extends TSchema, Rep extends TSchema>(subject: string, req: Req, rep: Rep): RequestContract<Req, Rep> {
  return { kind: 'request', subject, request: req, reply: rep }
}

export function event<P extends TSchema>(subject: string, payload: P): EventContract<P> {
  return { kind: 'event', subject, payload }
}
