/** `/admin/v1/tenants`: operators create tenants (first key returned once) and change settings. */
import { Type as T } from '@sinclair/typebox'
import { identity, TenantCreateInput, TenantPatchInput } from '../../../shared/contracts/identity'
import { checkPromptRef } from '../../../shared/prompts/prompt-ref'
import { admin, endpoint } from '../endpoint'

const TenantParams = T.Object({ tenant_id: T.String({ maxLength: 64 }) })
const Paging = T.Object({
  limit: T.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: T.Integer({ minimum: 0, default: 0 }),
})

export const adminTenantEndpoints = [
  endpoint({
    method: 'POST',
    path: '/admin/v1/tenants',
    access: admin,
    tags: ['operator'],
    summary: 'Create Tenant',
    description: "Creates a tenant. The reply carries its first API key's plaintext (shown once) and its webhook signing secret.",
    body: TenantCreateInput,
    handle: ({ bus, ctx, body }) => bus.request(identity.createTenant, body, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/admin/v1/tenants',
    access: admin,
    tags: ['operator'],
    summary: 'List Tenants',
    query: Paging,
    handle: ({ bus, ctx, query }) => bus.request(identity.listTenants, query, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/admin/v1/tenants/{tenant_id}',
    access: admin,
    tags: ['operator'],
    summary: 'Get Tenant',
    params: TenantParams,
    errors: { 404: 'No such tenant' },
    handle: ({ bus, ctx, params }) => bus.request(identity.getTenant, { tenant_id: params.tenant_id }, ctx),
  }),
  endpoint({
    method: 'PATCH',
    path: '/admin/v1/tenants/{tenant_id}',
    access: admin,
    tags: ['operator'],
    summary: 'Update Tenant',
    description:
      'Changes `name`, `number_sharing` or `rate_limit_per_second` (null restores the default limit), and what its unmatched callers hear ' +
      '(`no_session_prompt`, `not_a_party_prompt`: a built-in prompt or one of the tenant\'s; null = the SIP refusal).',
    params: TenantParams,
    body: TenantPatchInput,
    errors: { 404: 'No such tenant' },
    handle: async ({ bus, ctx, params, body }) => {
      for (const field of ['no_session_prompt', 'not_a_party_prompt'] as const) {
        const ref = body[field]
        if (ref) await checkPromptRef(bus, params.tenant_id, ref, ['body', field], ctx.requestId)
      }
      return bus.request(identity.updateTenant, { tenant_id: params.tenant_id, patch: body }, ctx)
    },
  }),
]
