/**
 * Access as an Elysia macro: `{ access: tenant('sessions:read') }` on a route authenticates the
 * key, checks the scope and takes a rate-limit token from the tenant's budget (`admin` checks the
 * operator token; admission.ts, with the per-address limit for requests without a valid credential). It runs
 * at the transform stage, before validation, so a caller without access never gets its input
 * parsed or described, and every request (valid or not) counts against the key's limit. Then it
 * decodes and guards the body (input-guard.ts) and resolves what handlers need: the principal,
 * the bus context and the actor for the audit log.
 */
import { Elysia } from 'elysia'
import type { Scope } from '../../shared/contracts/common'
import type { Actor, Principal } from '../../shared/contracts/identity'
import type { Logger } from '../../shared/log'
import { admit, type AdmissionDeps } from './admission'
import { clientAddress, type TrustedProxies } from './client-address'
import { guardInput } from './input-guard'
import { coerceStrings, type RouteSchemas } from './validation'
import type { KeyUsageReporter } from './key-usage'

export type Access = { kind: 'tenant'; scope: Scope } | { kind: 'admin' } | { kind: 'public' }
export const tenant = (scope: Scope): Access => ({ kind: 'tenant', scope })
export const admin: Access = { kind: 'admin' }
export const publicAccess: Access = { kind: 'public' }

export interface GatewayDeps extends AdmissionDeps {
  log: Logger
  usage: KeyUsageReporter
  /** Proxies whose X-Forwarded-For is believed (client-address.ts). */
  trustProxy: TrustedProxies
}

const sourceIp = (request: Request, server: Server, trusted: TrustedProxies) =>
  clientAddress(server?.requestIP(request)?.address ?? null, request.headers.get('x-forwarded-for'), trusted)

type Server = { requestIP(r: Request): { address: string } | null } | null

/** The per-request state the transform stage leaves for resolve (Elysia's context is per request). */
interface Admitted {
  principal?: Principal
}
const admitted = new WeakMap<Request, Admitted>()

const security = (a: Access): Record<string, string[]>[] =>
  a.kind === 'tenant' ? [{ ApiKeyHeader: [] }, { ApiKeyBearer: [] }] : a.kind === 'admin' ? [{ OperatorToken: [] }] : []

export const requestIdOf = (set: { headers: Record<string, unknown> }) => set.headers['x-request-id'] as string

let instances = 0

export function accessPlugin(deps: GatewayDeps, schemasOf: (method: string, route: string) => RouteSchemas | undefined) {
  // One per gateway app (a test may run several in one process); the route plugins share it.
  return new Elysia({ name: 'gateway:access', seed: ++instances }).decorate({ bus: deps.bus }).macro({
    access: (a: Access) => ({
      detail: { security: security(a) },
      // `c` is only read member by member, never passed on whole: Elysia infers from this
      // function's text what the route needs, and a bare `c` handed to a function made every
      // route parse cookies (an extra await) and copy all headers into an object per request.
      async transform(c) {
        const requestId = requestIdOf(c.set)
        const principal = await admit(a, deps, c.request, c.set.headers as Record<string, string>, requestId, () => sourceIp(c.request, c.server as Server, deps.trustProxy))
        if (principal) deps.usage.note(principal.key_id)
        admitted.set(c.request, { principal })
        const input = { body: c.body as unknown, params: c.params as Record<string, string>, query: c.query as Record<string, unknown>, request: c.request, route: c.route }
        guardInput(input)
        c.body = input.body as typeof c.body
        const query = schemasOf(c.request.method, c.route)?.query
        if (query) c.query = coerceStrings(query, c.query) as typeof c.query
      },
      resolve({ request, set, server }) {
        const requestId = requestIdOf(set)
        const principal = admitted.get(request)?.principal as Principal
        const actor: Actor = {
          key_id: principal?.key_id ?? null,
          key_prefix: principal?.key_prefix ?? null,
          // Looked up only when a handler reads it (the audited writes do, reads do not):
          // requestIP() was ~2% of the gateway's CPU on every request.
          get source_ip() {
            return sourceIp(request, server as Server, deps.trustProxy)
          },
        }
        const idempotencyKey = request.headers.get('idempotency-key') ?? undefined
        return {
          principal,
          requestId,
          actor,
          /** Bus context: request id, and the tenant from the verified key (never from client input). */
          ctx: { requestId, tenantId: principal?.tenant_id, idempotencyKey },
          /** Drops a key from this gateway's cache (before replying to a revoke or rotate). */
          evictKey: (keyId: string) => deps.keys.evictKey(keyId),
        }
      },
    }),
  })
}
export type AccessPlugin = ReturnType<typeof accessPlugin>
