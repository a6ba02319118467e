/** `/admin/v1/tenants`: operators create tenants (first key returned once) and change settings. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { identity, TenantCreateInput, TenantPatchInput } from '../../../shared/contracts/identity'
import { admin, type AccessPlugin } from '../access'
import { models } from '../models'
import { checkSettingsPrompts } from './settings'
import { choice, query } from '../params'
import { responses } from '../responses'

const TenantParams = T.Object({ tenant_id: T.String({ maxLength: 64, title: 'Tenant Id' }) })
const Paging = query({
  limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
  offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
})
const noTenant = { 404: { description: 'No such tenant (`tenant_not_found`).', codes: ['tenant_not_found'] } } as const

export const adminTenantRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:admin-tenants' })
    .use(access)
    .use(models)
    .post('/admin/v1/tenants', ({ bus, ctx, body }) => bus.request(identity.createTenant, body, ctx), {
      access: admin,
      parse: 'json',
      body: TenantCreateInput,
      response: responses('CreatedTenant', admin, {}, { body: true }),
      detail: {
        tags: ['operator'],
        summary: 'Create Tenant',
        operationId: 'create_tenant_admin_v1_tenants_post',
        description: "Creates a tenant. The reply carries its first API key's plaintext (shown once) and its webhook signing secret.",
      },
    })
    .get('/admin/v1/tenants', ({ bus, ctx, query }) => bus.request(identity.listTenants, query, ctx), {
      access: admin,
      query: Paging,
      response: responses('TenantList', admin, {}, { validates: true }),
      detail: { tags: ['operator'], summary: 'List Tenants', operationId: 'list_tenants_admin_v1_tenants_get', description: 'Every tenant, newest first.' },
    })
    .get('/admin/v1/tenants/:tenant_id', ({ bus, ctx, params }) => bus.request(identity.getTenant, { tenant_id: params.tenant_id }, ctx), {
      access: admin,
      params: TenantParams,
      response: responses('Tenant', admin, noTenant, { validates: true }),
      detail: { tags: ['operator'], summary: 'Get Tenant', operationId: 'get_tenant_admin_v1_tenants__tenant_id__get', description: 'One tenant and its settings.' },
    })
    .patch(
      '/admin/v1/tenants/:tenant_id',
      async ({ bus, ctx, params, body }) => {
        await checkSettingsPrompts(bus, params.tenant_id, body, ctx.requestId)
        return bus.request(identity.updateTenant, { tenant_id: params.tenant_id, patch: body }, ctx)
      },
      {
      access: admin,
      params: TenantParams,
      parse: 'json',
      body: TenantPatchInput,
      response: responses('Tenant', admin, noTenant, { body: true }),
      detail: {
        tags: ['operator'],
        summary: 'Update Tenant',
        operationId: 'update_tenant_admin_v1_tenants__tenant_id__patch',
        description:
          'Changes `name`, `number_sharing` or `rate_limit_per_second` (null restores the default limit), and what its unmatched callers hear ' +
          "(`no_session_prompt`, `not_a_party_prompt`: a built-in prompt or one of the tenant's; null = the SIP refusal).",
      },
    },
    )
