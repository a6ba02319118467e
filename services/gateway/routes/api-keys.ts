/** `/v1/api-keys`: tenant self-service exactly as api-keys-guide.md, plus scopes and expiry. */
import { Type as T } from '@sinclair/typebox'
import { identity, KeyCreateInput } from '../../../shared/contracts/identity'
import { endpoint, tenant } from '../endpoint'

const KeyParams = T.Object({ api_key_id: T.String({ maxLength: 64, title: 'Api Key Id' }) })
const Paging = T.Object({
  limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
  offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
})

export const apiKeyEndpoints = [
  endpoint({
    method: 'GET',
    path: '/v1/api-keys',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Tenant List Api Keys',
    operationId: 'tenant_list_api_keys_v1_api_keys_get',
    description: 'List API keys for the calling tenant, newest first. Plaintext is **never** returned: only `api_key_prefix`.',
    query: Paging,
    handle: ({ bus, ctx, query }) => bus.request(identity.listKeys, query, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/v1/api-keys',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Tenant Create Api Key',
    operationId: 'tenant_create_api_key_v1_api_keys_post',
    description:
      'Mint a new API key for this tenant. The plaintext is shown **only once**.\n\nUse this before revoking your current key to avoid lockout. ' +
      'Optional `scopes` (default: all) and `expires_in_days` (1-365).',
    body: KeyCreateInput,
    idempotent: true,
    handle: ({ bus, ctx, body, actor }) => bus.request(identity.createKey, { input: body, actor }, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/v1/api-keys/{api_key_id}/rotate',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Tenant Rotate Api Key',
    operationId: 'tenant_rotate_api_key_v1_api_keys__api_key_id__rotate_post',
    description:
      'Rotate an API key: revoke the old one and return a freshly minted plaintext (same label and scopes).\n\n' +
      'The new plaintext is shown **only once**. The old key stops working immediately.',
    params: KeyParams,
    errors: { 404: 'Key ID does not belong to your tenant', 409: 'The key is already revoked' },
    idempotent: true,
    handle: async ({ bus, ctx, params, actor, evictKey }) => {
      const reply = await bus.request(identity.rotateKey, { key_id: params.api_key_id, actor }, ctx)
      evictKey(params.api_key_id)
      return reply
    },
  }),
  endpoint({
    method: 'POST',
    path: '/v1/api-keys/{api_key_id}/revoke',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Tenant Revoke Api Key',
    operationId: 'tenant_revoke_api_key_v1_api_keys__api_key_id__revoke_post',
    description:
      'Revoke a specific API key. Idempotent: revoking a revoked key answers 200 with `already_revoked: true`.\n\n' +
      'Returns `409` if this would leave the tenant with **zero** active keys: create a new one first, then revoke this one.',
    params: KeyParams,
    errors: { 404: 'Key ID does not belong to your tenant', 409: 'This is your last active key' },
    idempotent: true,
    handle: async ({ bus, ctx, params, actor, evictKey }) => {
      const reply = await bus.request(identity.revokeKey, { key_id: params.api_key_id, actor }, ctx)
      evictKey(params.api_key_id)
      return reply
    },
  }),
  endpoint({
    method: 'GET',
    path: '/v1/audit-events',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'List Key Audit Events',
    description: 'The key audit log, newest first: every create, rotate and revoke with the acting key, request id and source address.',
    query: Paging,
    handle: ({ bus, ctx, query }) => bus.request(identity.listAudit, query, ctx),
  }),
]
