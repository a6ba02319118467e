/** `/admin/v1/tenants`: operators create tenants (first key returned once) and change settings. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PageParams } from '../../../shared/contracts/common'
import { identity, KeyCreateInput, TenantCreateInput, TenantPatchInput } from '../../../shared/contracts/identity'
import { admin, type AccessPlugin } from '../access'
import { models } from '../models'
import { checkSettingsPrompts } from './settings'
import { choice, query } from '../params'
import { IdempotencyHeaders, idempotencyErrors, responses, withErrors } from '../responses'

const TenantParams = T.Object({ tenant_id: T.String({ maxLength: 64, title: 'Tenant Id' }) })
const Paging = query(PageParams)
const noTenant = { 404: { description: 'No such tenant (`tenant_not_found`).', codes: ['tenant_not_found'] } } as const

export const adminTenantRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:admin-tenants' })
    .use(access)
    .use(models)
    .post('/admin/v1/tenants', ({ bus, ctx, body }) => bus.request(identity.createTenant, body, ctx), {
      access: admin,
      parse: 'json',
      body: TenantCreateInput,
      headers: IdempotencyHeaders,
      response: responses('CreatedTenant', admin, idempotencyErrors, { body: true }),
      detail: {
        tags: ['operator'],
        summary: 'Create Tenant',
        operationId: 'create_tenant_admin_v1_tenants_post',
        description:
          "Creates a tenant. The reply carries its first API key's plaintext (shown once) and its webhook signing secret. `allowed_countries` lists the countries its sessions' parties may be in (null, the default: the countries of its masked numbers).",
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
          'Changes `name`, `number_sharing`, `rate_limit_per_second` (null restores the default limit), `allowed_countries` (null: the countries ' +
          'of its masked numbers), and what its unmatched callers hear ' +
          "(`no_session_prompt`, `not_a_party_prompt`: a built-in prompt or one of the tenant's; null = the SIP refusal), its recording settings, " +
          'and `phone_retention_days` (days after a session or call ends before its phone numbers are anonymised; default 90, 1-3650).',
      },
    },
    )
    .post(
      '/admin/v1/tenants/:tenant_id/api-keys',
      ({ bus, ctx, params, body, actor }) => bus.request(identity.operatorCreateKey, { tenant_id: params.tenant_id, input: body, actor }, ctx),
      {
        access: admin,
        params: TenantParams,
        parse: 'json',
        body: KeyCreateInput,
        headers: IdempotencyHeaders,
        response: responses('CreatedApiKey', admin, withErrors(noTenant, idempotencyErrors), { body: true }),
        detail: {
          tags: ['operator'],
          summary: 'Mint Tenant Api Key',
          operationId: 'mint_tenant_api_key_admin_v1_tenants__tenant_id__api_keys_post',
          description:
            "Mints an API key for a tenant (e.g. one locked out because its keys expired). The plaintext is shown once; the tenant's audit log " +
            'records it as created by the operator. Optional `scopes` (default: all) and `expires_in_days`.',
        },
      },
    )
