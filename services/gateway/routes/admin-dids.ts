/** `/admin/v1/dids`: operators manage the number pool and its assignments to tenants. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PageParams } from '../../../shared/contracts/common'
import { did, DidImportInput, POOL_STATUSES } from '../../../shared/contracts/did'
import { admin, type AccessPlugin } from '../access'
import { models } from '../models'
import { choice, query } from '../params'
import { IdempotencyHeaders, idempotencyErrors, responses, withErrors, type ErrorDoc } from '../responses'

const NumberParams = T.Object({ e164: T.String({ minLength: 2, maxLength: 32, title: 'E164', description: 'The number in E.164 (`+` may be percent-encoded as %2B, or left out)' }) })

/** `+` is optional in the path (some clients drop it). Elysia has decoded the path once already. */
const e164Of = (raw: string) => (/^\d/.test(raw) ? `+${raw}` : raw)

const changeErrors: Record<number, ErrorDoc> = {
  404: { description: 'The number is not in the pool (`did_not_found`).', codes: ['did_not_found'] },
  409: { description: 'The number is not in a state that allows this (`did_not_assigned`, `did_not_suspended`).', codes: ['did_not_assigned', 'did_not_suspended'] },
}

const change = (verb: 'release' | 'suspend' | 'resume', summary: string, description: string) => ({
  access: admin,
  params: NumberParams,
  headers: IdempotencyHeaders,
  response: responses('DidAssignment', admin, withErrors(changeErrors, idempotencyErrors), { validates: true }),
  detail: { tags: ['operator'], summary, description, operationId: `${verb}_did_admin_v1_dids__e164__${verb}_post` },
})

export const adminDidRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:admin-dids' })
    .use(access)
    .use(models)
    .post('/admin/v1/dids', ({ bus, ctx, body }) => bus.request(did.importNumbers, body, ctx), {
      access: admin,
      parse: 'json',
      body: DidImportInput,
      headers: IdempotencyHeaders,
      response: responses('DidImport', admin, idempotencyErrors, { body: true }),
      detail: {
        tags: ['operator'],
        summary: 'Import Dids',
        operationId: 'import_dids_admin_v1_dids_post',
        description: 'Adds E.164 numbers to the pool. Idempotent: numbers already there are reported in `already_known`, not duplicated.',
      },
    })
    .get('/admin/v1/dids', ({ bus, ctx, query }) => bus.request(did.listPool, query, ctx), {
      access: admin,
      query: query({
        ...PageParams,
        status: choice([...POOL_STATUSES, 'all'], { default: 'all', title: 'Status' }),
        tenant_id: T.Optional(T.String({ maxLength: 64, title: 'Tenant Id' })),
      }),
      response: responses('DidList', admin, {}, { validates: true }),
      detail: {
        tags: ['operator'],
        summary: 'List Dids',
        operationId: 'list_dids_admin_v1_dids_get',
        description: "The pool with each number's current assignment. `status`: available, cooling_down, active, suspended or all; `tenant_id`: numbers that tenant holds.",
      },
    })
    .post('/admin/v1/dids/:e164/assign', ({ bus, ctx, params, body }) => bus.request(did.assign, { e164: e164Of(params.e164), tenant_id: body.tenant_id }, ctx), {
      access: admin,
      params: NumberParams,
      parse: 'json',
      body: T.Object({ tenant_id: T.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      headers: IdempotencyHeaders,
      response: responses(
        'DidAssignment',
        admin,
        withErrors(
          {
            404: { description: 'The number is not in the pool (`did_not_found`), or no such tenant (`tenant_not_found`).', codes: ['did_not_found', 'tenant_not_found'] },
            409: { description: 'Assigned already, or cooling down after a release (`did_not_available`, with `available_at`).', codes: ['did_not_available'] },
          },
          idempotencyErrors,
        ),
        { body: true },
      ),
      detail: {
        tags: ['operator'],
        summary: 'Assign Did',
        operationId: 'assign_did_admin_v1_dids__e164__assign_post',
        description: 'Assigns a free number to a tenant. 409 if it is assigned, or cooling down after a release (`available_at` says until when).',
      },
    })
    .post(
      '/admin/v1/dids/:e164/release',
      ({ bus, ctx, params }) => bus.request(did.release, { e164: e164Of(params.e164) }, ctx),
      change('release', 'Release Did', "Ends the number's assignment (kept for audit); its open sessions end with `end_reason: number_released`, and it cools down before it can be assigned again."),
    )
    .post(
      '/admin/v1/dids/:e164/suspend',
      ({ bus, ctx, params }) => bus.request(did.suspend, { e164: e164Of(params.e164) }, ctx),
      change('suspend', 'Suspend Did', 'While suspended, no new sessions use the number and inbound calls to it are refused. Suspending a suspended number changes nothing.'),
    )
    .post(
      '/admin/v1/dids/:e164/resume',
      ({ bus, ctx, params }) => bus.request(did.resume, { e164: e164Of(params.e164) }, ctx),
      change('resume', 'Resume Did', 'Lifts a suspension (409 `did_not_suspended` if the number is not suspended).'),
    )
