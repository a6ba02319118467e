/** `/v1/settings`: what a tenant's callers hear when they cannot be bridged (operators set the same via `/admin/v1/tenants`). */
import { identity, TenantSettingsInput } from '../../../shared/contracts/identity'
import { AppError } from '../../../shared/errors'
import { checkPromptRef } from '../../../shared/prompts/prompt-ref'
import { endpoint, tenant } from '../endpoint'

const view = (t: { no_session_prompt: string | null; not_a_party_prompt: string | null }) => ({
  no_session_prompt: t.no_session_prompt,
  not_a_party_prompt: t.not_a_party_prompt,
})

const tenantOf = (ctx: { tenantId?: string }) => {
  if (!ctx.tenantId) throw new AppError('unauthorized', 'no tenant')
  return ctx.tenantId
}

export const settingsEndpoints = [
  endpoint({
    method: 'GET',
    path: '/v1/settings',
    access: tenant('sessions:read'),
    tags: ['tenant'],
    summary: 'Get Settings',
    description: 'What callers hear when they cannot be bridged. null = the SIP refusal (404 no open session, 403 not a party).',
    handle: async ({ bus, ctx }) => view(await bus.request(identity.getTenant, { tenant_id: tenantOf(ctx) }, ctx)),
  }),
  endpoint({
    method: 'PATCH',
    path: '/v1/settings',
    access: tenant('sessions:write'),
    tags: ['tenant'],
    summary: 'Update Settings',
    description:
      '`no_session_prompt`: played to a caller of one of your numbers that carries no open session; `not_a_party_prompt`: to a caller who is not a ' +
      "party of the number's session. Each is `builtin:session_ended`, `builtin:not_a_party`, another built-in, or one of your prompt ids; the " +
      'call is answered, the prompt plays, the call ends, it is recorded (`status: completed`, `end_reason: unmatched_…`) and a `call.unmatched` ' +
      'callback is sent. null restores the SIP refusal.',
    body: TenantSettingsInput,
    handle: async ({ bus, ctx, body }) => {
      const tenantId = tenantOf(ctx)
      for (const field of ['no_session_prompt', 'not_a_party_prompt'] as const) {
        const ref = body[field]
        if (ref) await checkPromptRef(bus, tenantId, ref, ['body', field], ctx.requestId)
      }
      return view(await bus.request(identity.updateTenant, { tenant_id: tenantId, patch: body }, ctx))
    },
  }),
]
