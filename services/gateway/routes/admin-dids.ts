/** `/admin/v1/dids`: operators manage the number pool and its assignments to tenants. */
import { Type as T } from '@sinclair/typebox'
import { did, DidImportInput } from '../../../shared/contracts/did'
import { admin, endpoint } from '../endpoint'

const NumberParams = T.Object({ e164: T.String({ minLength: 2, maxLength: 32, title: 'E164', description: 'The number in E.164 (`+` may be percent-encoded as %2B)' }) })

/** `+` is optional in the path (some clients drop or encode it). */
const e164Of = (raw: string) => {
  const v = raw.includes('%') ? decodeURIComponent(raw) : raw
  return /^\d/.test(v) ? `+${v}` : v
}

const changeErrors = {
  404: 'The number is not in the pool (`did_not_found`)',
  409: 'The number is not in a state that allows this',
}

export const adminDidEndpoints = [
  endpoint({
    method: 'POST',
    path: '/admin/v1/dids',
    access: admin,
    tags: ['operator'],
    summary: 'Import Dids',
    description: 'Adds E.164 numbers to the pool. Idempotent: numbers already there are reported in `already_known`, not duplicated.',
    body: DidImportInput,
    idempotent: true,
    handle: ({ bus, ctx, body }) => bus.request(did.importNumbers, body, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/admin/v1/dids',
    access: admin,
    tags: ['operator'],
    summary: 'List Dids',
    description: 'The pool with each number\'s current assignment. `status`: available, cooling_down, active, suspended or all; `tenant_id`: numbers that tenant holds.',
    query: T.Object({
      limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
      offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
      status: T.Union([T.Literal('available'), T.Literal('cooling_down'), T.Literal('active'), T.Literal('suspended'), T.Literal('all')], { default: 'all', title: 'Status' }),
      tenant_id: T.Optional(T.String({ maxLength: 64, title: 'Tenant Id' })),
    }),
    handle: ({ bus, ctx, query }) => bus.request(did.listPool, query, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/admin/v1/dids/{e164}/assign',
    access: admin,
    tags: ['operator'],
    summary: 'Assign Did',
    description: 'Assigns a free number to a tenant. 409 if it is assigned, or cooling down after a release (`available_at` says until when).',
    params: NumberParams,
    body: T.Object({ tenant_id: T.String({ minLength: 1, maxLength: 64 }) }),
    errors: { 404: 'The number is not in the pool, or no such tenant', 409: 'Assigned already, or cooling down' },
    idempotent: true,
    handle: ({ bus, ctx, params, body }) => bus.request(did.assign, { e164: e164Of(params.e164), tenant_id: body.tenant_id }, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/admin/v1/dids/{e164}/release',
    access: admin,
    tags: ['operator'],
    summary: 'Release Did',
    description: "Ends the number's assignment (kept for audit); its open sessions end with `end_reason: number_released`, and it cools down before it can be assigned again.",
    params: NumberParams,
    errors: changeErrors,
    idempotent: true,
    handle: ({ bus, ctx, params }) => bus.request(did.release, { e164: e164Of(params.e164) }, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/admin/v1/dids/{e164}/suspend',
    access: admin,
    tags: ['operator'],
    summary: 'Suspend Did',
    description: 'While suspended, no new sessions use the number and inbound calls to it are refused. Suspending a suspended number changes nothing.',
    params: NumberParams,
    errors: changeErrors,
    idempotent: true,
    handle: ({ bus, ctx, params }) => bus.request(did.suspend, { e164: e164Of(params.e164) }, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/admin/v1/dids/{e164}/resume',
    access: admin,
    tags: ['operator'],
    summary: 'Resume Did',
    description: 'Lifts a suspension (409 `did_not_suspended` if the number is not suspended).',
    params: NumberParams,
    errors: changeErrors,
    idempotent: true,
    handle: ({ bus, ctx, params }) => bus.request(did.resume, { e164: e164Of(params.e164) }, ctx),
  }),
]
