/** `/admin/v1/tenants`: operators create tenants (first key returned once) and change settings. */
import { Type as T } from '@sinclair/typebox'
import { identity, TenantCreateInput, TenantPatchInput } from '../../../shared/contracts/identity'
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
    description:
      "Creates a tenant. The reply carries its first API key's plaintext (shown once) and its webhook signing secret. `allowed_countries` lists the countries its sessions' parties may be in (null, the default: the countries of its masked numbers).",
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
      'Changes `name`, `number_sharing`, `rate_limit_per_second` (null restores the default limit) or `allowed_countries` (null: the countries of its masked numbers).',
    params: TenantParams,
    body: TenantPatchInput,
    errors: { 404: 'No such tenant' },
    handle: ({ bus, ctx, params, body }) => bus.request(identity.updateTenant, { tenant_id: params.tenant_id, patch: body }, ctx),
  }),
]
