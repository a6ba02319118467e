/** `/v1/settings`: what a tenant's callers hear when they cannot be bridged (operators set the same via `/admin/v1/tenants`). */
import { Elysia } from 'elysia'
import type { Bus } from '../../../shared/bus/bus'
import { identity, TenantSettingsInput, type Tenant } from '../../../shared/contracts/identity'
import { AppError } from '../../../shared/errors'
import { checkPromptRef } from '../../../shared/prompts/prompt-ref'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { responses } from '../responses'

const view = (t: Tenant) => ({ no_session_prompt: t.no_session_prompt, not_a_party_prompt: t.not_a_party_prompt, unmatched_callback_url: t.unmatched_callback_url, record_calls: t.record_calls, recording_retention_days: t.recording_retention_days, phone_retention_days: t.phone_retention_days })

const tenantOf = (ctx: { tenantId?: string }) => {
  if (!ctx.tenantId) throw new AppError('unauthorized', 'no tenant')
  return ctx.tenantId
}

/** Each prompt a settings change names must be a built-in one or the tenant's own (422 naming the field). */
export async function checkSettingsPrompts(bus: Bus, tenantId: string, body: { no_session_prompt?: string | null; not_a_party_prompt?: string | null }, requestId: string) {
  for (const field of ['no_session_prompt', 'not_a_party_prompt'] as const) {
    const ref = body[field]
    if (ref) await checkPromptRef(bus, tenantId, ref, ['body', field], requestId)
  }
}

export const settingsRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:settings' })
    .use(access)
    .use(models)
    .get('/v1/settings', async ({ bus, ctx }) => view(await bus.request(identity.getTenant, { tenant_id: tenantOf(ctx) }, ctx)), {
      access: tenant('sessions:read'),
      response: responses('Settings', tenant('sessions:read')),
      detail: {
        tags: ['prompts'],
        summary: 'Get Settings',
        operationId: 'get_settings_v1_settings_get',
        description: 'What callers hear when they cannot be bridged. null = the SIP refusal (404 no open session, 403 not a party).',
      },
    })
    .patch(
      '/v1/settings',
      async ({ bus, ctx, body }) => {
        const tenantId = tenantOf(ctx)
        await checkSettingsPrompts(bus, tenantId, body, ctx.requestId)
        return view(await bus.request(identity.updateTenant, { tenant_id: tenantId, patch: body }, ctx))
      },
      {
        access: tenant('sessions:write'),
        parse: 'json',
        body: TenantSettingsInput,
        response: responses('Settings', tenant('sessions:write'), {}, { body: true }),
        detail: {
          tags: ['prompts'],
          summary: 'Update Settings',
          operationId: 'update_settings_v1_settings_patch',
          description:
            '`no_session_prompt`: played to a caller of one of your numbers that carries no open session; `not_a_party_prompt`: to a caller who is ' +
            "not a party of the number's session. Each is a built-in prompt (`builtin:session_ended`, `builtin:not_a_party`, …) or one of your " +
            'prompt ids. Such a call is answered, hears the prompt and is hung up; its record ends `completed` with `end_reason` ' +
            '`unmatched_no_session` / `unmatched_not_a_party`. `unmatched_callback_url` receives a signed `call.unmatched` callback (with the ' +
            "caller's number) for every such call, prompt or not. null restores the SIP refusal / sends no callback. " +
            "`record_calls`: the default of new sessions' `record`; `recording_retention_days`: how long recordings are kept (default 30, within the platform's bounds); " +
            '`phone_retention_days`: days after a session or call ends before its phone numbers are anonymised (`[redacted]`; default 90, 1-3650).',
        },
      },
    )
