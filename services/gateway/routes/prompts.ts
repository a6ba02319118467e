/** `/v1/prompts`: a tenant's own announcements (WAV), for unmatched callers and session greetings. */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { calls } from '../../../shared/contracts/calls'
import { PageParams } from '../../../shared/contracts/common'
import { BUILTIN_PROMPT_NAMES } from '../../../shared/prompts/builtin'
import { PROMPT_MAX_BYTES, PROMPT_MAX_SECONDS } from '../../../shared/prompts/wav'
import { tenant, type AccessPlugin } from '../access'
import { UPLOAD_TYPES, uploadOf } from '../input-guard'
import { models } from '../models'
import { query } from '../params'
import { IdempotencyHeaders, responses } from '../responses'

const PromptParams = T.Object({ prompt_id: T.String({ minLength: 1, maxLength: 64, title: 'Prompt Id' }) })
const WAV_PROBLEMS = ['`file`', '`format`', '`bits_per_sample`', '`sample_rate`', '`channels`', '`size`', '`duration`'].join(', ')

export const promptRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:prompts' })
    .use(access)
    .use(models)
    .post(
      '/v1/prompts',
      ({ bus, ctx, query, body }) => bus.request(calls.createPrompt, { name: query.name, audio_base64: Buffer.from(uploadOf(body, PROMPT_MAX_BYTES)).toString('base64') }, ctx),
      {
        access: tenant('sessions:write'),
        query: query({ name: T.String({ minLength: 1, maxLength: 80, title: 'Name', description: 'Your label for the prompt' }) }),
        headers: IdempotencyHeaders,
        response: responses(
          'Prompt',
          tenant('sessions:write'),
          {
            415: { description: 'The body is not a file sent as `audio/wav`.', codes: ['unsupported_media_type'] },
            422: { description: `The file is not an acceptable prompt: \`detail\` names each problem (${WAV_PROBLEMS}).`, codes: ['validation_error', 'idempotency_key_reused'] },
          },
          { validates: true },
        ),
        detail: {
          tags: ['prompts'],
          summary: 'Upload Prompt',
          operationId: 'upload_prompt_v1_prompts_post',
          description:
            `Uploads a WAV prompt: the file itself as the body (\`Content-Type: audio/wav\`), \`name\` in the query. Accepted: 8000 or 16000 Hz, ` +
            `mono, 16-bit PCM or 8-bit µ-law, at most ${PROMPT_MAX_BYTES} bytes and ${PROMPT_MAX_SECONDS} s (other WAVs play as silence on the ` +
            `media plane, so they are refused). Use the returned id as a session's \`greeting_prompt\` or in \`PATCH /v1/settings\`. ` +
            `Built-in prompts need no upload: ${BUILTIN_PROMPT_NAMES.map((n) => `\`builtin:${n}\``).join(', ')}.`,
          requestBody: {
            required: true,
            content: Object.fromEntries(UPLOAD_TYPES.slice(0, 1).map((t) => [t, { schema: { type: 'string', format: 'binary', maxLength: PROMPT_MAX_BYTES } }])),
          },
        },
      },
    )
    .get('/v1/prompts', ({ bus, ctx, query }) => bus.request(calls.listPrompts, query, ctx), {
      access: tenant('sessions:read'),
      query: query({
        ...PageParams,
      }),
      response: responses('PromptList', tenant('sessions:read'), {}, { validates: true }),
      detail: { tags: ['prompts'], summary: 'List Prompts', operationId: 'list_prompts_v1_prompts_get', description: 'Your prompts, newest first (deleted ones are gone).' },
    })
    .delete('/v1/prompts/:prompt_id', ({ bus, ctx, params }) => bus.request(calls.deletePrompt, { prompt_id: params.prompt_id }, ctx), {
      access: tenant('sessions:write'),
      params: PromptParams,
      response: responses('DeletedPrompt', tenant('sessions:write'), { 404: { description: 'No such prompt of yours (`prompt_not_found`).', codes: ['prompt_not_found'] } }, { validates: true }),
      detail: {
        tags: ['prompts'],
        summary: 'Delete Prompt',
        operationId: 'delete_prompt_v1_prompts__prompt_id__delete',
        description: 'Deletes a prompt: new calls no longer use it (a greeting or setting naming it is skipped), while calls already playing it finish.',
      },
    })
