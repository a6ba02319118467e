/**
 * The gateway's response models: the bus contracts' reply schemas, named and given a description
 * and an example, registered with Elysia so routes refer to them by name (`response: { 200:
 * 'Session' }`) and the openapi plugin lists them under `components.schemas`.
 */
import { Type as T, type TSchema } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { calls } from '../../shared/contracts/calls'
import { did } from '../../shared/contracts/did'
import { identity, TenantSettingsView } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import { recordingSubjects } from '../../shared/contracts/recordings'
import * as ex from './examples'

/** A copy of a contract schema with a description and one example (the contract stays as it is). */
const doc = <S extends TSchema>(schema: S, description: string, example: unknown): S => ({ ...schema, description, examples: [example] })

const list = (item: unknown) => ({ items: [item], limit: 50, offset: 0, total: 1 })
/** The lists that also page by cursor (ADR 0009): a bounded total and the next page's cursor. */
const cursorList = (item: unknown) => ({ ...list(item), total_relation: 'eq', next_cursor: null })

export const Health = T.Object(
  {
    status: T.Union([T.Literal('ok'), T.Literal('degraded')]),
    services: T.Object({
      identity: T.Union([T.Literal('ok'), T.Literal('unavailable')]),
      did: T.Union([T.Literal('ok'), T.Literal('unavailable')]),
      sessions: T.Union([T.Literal('ok'), T.Literal('unavailable')]),
      call_control: T.Union([T.Literal('ok'), T.Literal('unavailable')]),
    }),
    version: T.String(),
  },
  { description: 'Each service behind the gateway and whether it answered.', examples: [ex.health] },
)

const ServiceState = T.Union([T.Literal('ok'), T.Literal('unavailable')])

export const responseModels = {
  Health,
  HealthDegraded: T.Object(
    {
      status: T.Literal('degraded'),
      services: T.Object({ identity: ServiceState, did: ServiceState, sessions: ServiceState, call_control: ServiceState }),
      version: T.String(),
    },
    { description: 'A service is not answering: which one, in `services`.', examples: [{ ...ex.health, status: 'degraded', services: { ...ex.health.services, sessions: 'unavailable' } }] },
  ),
  Session: doc(sessions.create.reply, 'A session: two parties and the masked number that connects them (a PIN session also carries one PIN per party).', ex.pinSession),
  SessionList: doc(sessions.list.reply, 'A page of sessions, newest first.', cursorList(ex.session)),
  CompletedSession: doc(sessions.complete.reply, 'The session as it now is; `already_ended` when it had ended before.', { ...ex.session, status: 'completed', ended_at: '2026-12-03T10:20:00Z', end_reason: 'completed' }),
  Prompt: doc(calls.createPrompt.reply, 'One of your prompts (its audio is not returned).', ex.prompt),
  PromptList: doc(calls.listPrompts.reply, 'A page of your prompts, newest first.', list(ex.prompt)),
  DeletedPrompt: doc(calls.deletePrompt.reply, 'The prompt is gone for new calls; calls already playing it finish.', { id: ex.prompt.id, deleted: true }),
  Settings: doc(TenantSettingsView, 'What callers hear when they cannot be bridged (null = the SIP refusal).', ex.settings),
  AssignmentList: doc(did.listAssignments.reply, "A page of the tenant's DID assignments.", list(ex.assignment)),
  OriginatedCall: doc(calls.originate.reply, 'The call record at once (`status: initiated`); the call runs asynchronously.', { call_id: ex.call.id, ...ex.call, status: 'initiated', ringing_at: null, answered_at: null, ended_at: null, duration_seconds: null, end_reason: null, media: null }),
  CallList: doc(calls.list.reply, 'A page of call records, newest first.', cursorList(ex.call)),
  Call: doc(calls.get.reply, 'A call record with each of its state-callback deliveries and their attempts.', { ...ex.call, callbacks: [ex.callback] }),
  ApiKeyList: doc(identity.listKeys.reply, "The tenant's API keys, newest first, by prefix only (never the plaintext).", { tenant_id: ex.tenantId, ...list(ex.apiKey) }),
  CreatedApiKey: doc(identity.createKey.reply, 'The new key: `api_key` is its plaintext, shown only in this reply.', ex.createdKey),
  RotatedApiKey: doc(identity.rotateKey.reply, 'The replacement key (plaintext shown once); the old key no longer works.', ex.rotatedKey),
  RevokedApiKey: doc(identity.revokeKey.reply, 'The revoked key; `already_revoked` when it was revoked before.', { tenant_id: ex.tenantId, revoked_api_key_id: ex.apiKey.id, revoked_at: '2026-12-03T10:05:00Z' }),
  AuditEventList: doc(identity.listAudit.reply, 'A page of the key audit log, newest first.', list(ex.auditEvent)),
  WebhookSecret: doc(identity.getWebhookSecret.reply, 'The secret that signs your state callbacks; after a rotation, also the one it replaced, valid until `previous_expires_at`.', {
    tenant_id: ex.tenantId,
    webhook_secret: ex.webhookSecret,
    previous_webhook_secret: null,
    previous_expires_at: null,
  }),
  CreatedTenant: doc(identity.createTenant.reply, "The tenant, its first API key (plaintext shown once) and its webhook signing secret.", { tenant: ex.tenant, api_key: { ...ex.createdKey, label: 'initial' }, webhook_secret: ex.webhookSecret }),
  Tenant: doc(identity.getTenant.reply, 'A tenant and its settings.', ex.tenant),
  TenantList: doc(identity.listTenants.reply, 'A page of tenants, newest first.', list(ex.tenant)),
  DidImport: doc(did.importNumbers.reply, 'Numbers added now, and numbers that were in the pool already (left as they were).', { imported: [ex.did], already_known: [] }),
  DidList: doc(did.listPool.reply, 'A page of the number pool, each number with its current assignment.', list({ ...ex.did, status: 'active', assignment: ex.adminAssignment })),
  Recording: doc(recordingSubjects.get.reply, 'A recorded call: status, duration, size and SHA-256 of the WAV, and when retention deletes it.', ex.recording),
  RecordingList: doc(recordingSubjects.list.reply, 'A page of your recordings, newest first.', list(ex.recording)),
  DeletedRecording: doc(recordingSubjects.delete.reply, 'The recording as it now is: audio gone, the record kept.', { ...ex.recording, status: 'deleted', deleted_at: '2026-12-04T09:00:00Z', deletion_reason: 'api', deleted_by_key_id: ex.apiKey.id, already_deleted: false }),
  Erasure: doc(identity.erasePhone.reply, 'The erasure\'s audit record: what was anonymised per kind, the SHA-256 of the number (never the number), who asked and when.', ex.erasure),
  ErasureList: doc(identity.listErasures.reply, 'A page of your erasures, newest first.', list(ex.erasure)),
  DidAssignment: doc(did.assign.reply, "The number's assignment as it now is.", ex.adminAssignment),
}

export const models = new Elysia({ name: 'gateway:models' }).model(responseModels)
