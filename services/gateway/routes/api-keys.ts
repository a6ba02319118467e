/** `/v1/api-keys`: tenant self-service exactly as api-keys-guide.md, plus scopes and expiry. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PageParams } from '../../../shared/contracts/common'
import type { Bus, BusContext } from '../../../shared/bus/bus'
import { identity, KeyCreateInput, type Actor } from '../../../shared/contracts/identity'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { IdempotencyHeaders, responses, type ErrorDoc } from '../responses'

const KeyParams = T.Object({ api_key_id: T.String({ maxLength: 64, title: 'Api Key Id' }) })
const Paging = query(PageParams)
const manage = tenant('keys:manage')
const foreign = { description: 'Key ID does not belong to your tenant (`api_key_not_found`).', codes: ['api_key_not_found'] } as const
const replayed = { description: 'The Idempotency-Key was used with another body (`idempotency_key_reused`).', codes: ['idempotency_key_reused'] } as const
const inUse = { description: 'A request with this Idempotency-Key is still running (`idempotency_key_in_use`).', codes: ['idempotency_key_in_use'] } as const

/** Rotate and revoke: the change on identity, then this gateway forgets the key before answering. */
const changeKey =
  <S extends typeof identity.rotateKey | typeof identity.revokeKey>(subject: S) =>
  async ({ bus, ctx, params, actor, evictKey }: { bus: Bus; ctx: BusContext; params: { api_key_id: string }; actor: Actor; evictKey: (keyId: string) => void }) => {
    const reply = await bus.request(subject, { key_id: params.api_key_id, actor }, ctx)
    evictKey(params.api_key_id)
    return reply
  }

/** What rotate and revoke share: scope, path, idempotency, and their errors but for the 409. */
const keyChange = (model: 'RotatedApiKey' | 'RevokedApiKey', conflict: ErrorDoc) => ({
  access: manage,
  params: KeyParams,
  headers: IdempotencyHeaders,
  response: responses(model, manage, { 404: foreign, 409: conflict, 422: replayed }, { validates: true }),
})

export const apiKeyRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:api-keys' })
    .use(access)
    .use(models)
    .get('/v1/api-keys', ({ bus, ctx, query }) => bus.request(identity.listKeys, query, ctx), {
      access: manage,
      query: Paging,
      response: responses('ApiKeyList', manage, {}, { validates: true }),
      detail: {
        tags: ['api-keys'],
        summary: 'Tenant List Api Keys',
        operationId: 'tenant_list_api_keys_v1_api_keys_get',
        description: 'List API keys for the calling tenant, newest first. Plaintext is **never** returned: only `api_key_prefix`.',
      },
    })
    .post('/v1/api-keys', ({ bus, ctx, body, actor }) => bus.request(identity.createKey, { input: body, actor }, ctx), {
      access: manage,
      parse: 'json',
      body: KeyCreateInput,
      headers: IdempotencyHeaders,
      response: responses('CreatedApiKey', manage, { 409: inUse, 422: replayed }, { body: true }),
      detail: {
        tags: ['api-keys'],
        summary: 'Tenant Create Api Key',
        operationId: 'tenant_create_api_key_v1_api_keys_post',
        description:
          'Mint a new API key for this tenant. The plaintext is shown **only once**.\n\nUse this before revoking your current key to avoid lockout. ' +
          'Optional `scopes` (default: all) and `expires_in_days` (1-365).',
      },
    })
    .post('/v1/api-keys/:api_key_id/rotate', changeKey(identity.rotateKey), {
      ...keyChange('RotatedApiKey', { description: 'The key is already revoked (`key_already_revoked`), or the Idempotency-Key is in use.', codes: ['key_already_revoked', 'idempotency_key_in_use'] }),
      detail: {
        tags: ['api-keys'],
        summary: 'Tenant Rotate Api Key',
        operationId: 'tenant_rotate_api_key_v1_api_keys__api_key_id__rotate_post',
        description:
          'Rotate an API key: revoke the old one and return a freshly minted plaintext (same label and scopes).\n\n' +
          'The new plaintext is shown **only once**. The old key stops working immediately.',
      },
    })
    .post('/v1/api-keys/:api_key_id/revoke', changeKey(identity.revokeKey), {
      ...keyChange('RevokedApiKey', { description: 'This is your last active key (`last_active_key`), or the Idempotency-Key is in use.', codes: ['last_active_key', 'idempotency_key_in_use'] }),
      detail: {
        tags: ['api-keys'],
        summary: 'Tenant Revoke Api Key',
        operationId: 'tenant_revoke_api_key_v1_api_keys__api_key_id__revoke_post',
        description:
          'Revoke a specific API key. Idempotent: revoking a revoked key answers 200 with `already_revoked: true`.\n\n' +
          'Returns `409` if this would leave the tenant with **zero** active keys: create a new one first, then revoke this one.',
      },
    })
    .get('/v1/audit-events', ({ bus, ctx, query }) => bus.request(identity.listAudit, query, ctx), {
      access: manage,
      query: Paging,
      response: responses('AuditEventList', manage, {}, { validates: true }),
      detail: {
        tags: ['api-keys'],
        summary: 'List Key Audit Events',
        operationId: 'list_key_audit_events_v1_audit_events_get',
        description: 'The key audit log, newest first: every create, rotate and revoke with the acting key, request id and source address.',
      },
    })
