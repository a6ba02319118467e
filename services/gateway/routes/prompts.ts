/** `/v1/prompts`: a tenant's own announcements (WAV), for unmatched callers and session greetings. */
import { Type as T } from '@sinclair/typebox'
import { calls } from '../../../shared/contracts/calls'
import { BUILTIN_PROMPT_NAMES } from '../../../shared/prompts/builtin'
import { PROMPT_MAX_BYTES, PROMPT_MAX_SECONDS } from '../../../shared/prompts/wav'
import { endpoint, tenant } from '../endpoint'

const PromptParams = T.Object({ prompt_id: T.String({ minLength: 1, maxLength: 64, title: 'Prompt Id' }) })

export const promptEndpoints = [
  endpoint({
    method: 'POST',
    path: '/v1/prompts',
    access: tenant('sessions:write'),
    tags: ['tenant'],
    summary: 'Upload Prompt',
    description:
      `Uploads a WAV prompt (the raw file as the body, \`Content-Type: audio/wav\`; \`name\` in the query). Accepted: 8000 or 16000 Hz, mono, ` +
      `16-bit PCM or 8-bit µ-law, at most ${PROMPT_MAX_BYTES} bytes and ${PROMPT_MAX_SECONDS} s. Anything else is a 422 whose \`detail\` names ` +
      `what is wrong (\`format\`, \`bits_per_sample\`, \`sample_rate\`, \`channels\`, \`size\`, \`duration\`). Use the returned id as ` +
      `\`greeting_prompt\` of a session or in \`PATCH /v1/settings\`; built-in prompts are ${BUILTIN_PROMPT_NAMES.map((n) => `\`builtin:${n}\``).join(', ')}.`,
    query: T.Object({ name: T.String({ minLength: 1, maxLength: 80, title: 'Name', description: 'Your label for the prompt' }) }),
    binaryBody: { contentTypes: ['audio/wav', 'audio/x-wav', 'audio/wave', 'application/octet-stream'], maxBytes: PROMPT_MAX_BYTES, description: 'The WAV file' },
    errors: { 415: 'Not sent as audio/wav' },
    idempotent: true,
    handle: ({ bus, ctx, query, bytes }) => bus.request(calls.createPrompt, { name: query.name, audio_base64: Buffer.from(bytes).toString('base64') }, ctx),
  }),
  endpoint({
    method: 'GET',
    path: '/v1/prompts',
    access: tenant('sessions:read'),
    tags: ['tenant'],
    summary: 'List Prompts',
    description: 'Your prompts, newest first (deleted ones are gone).',
    query: T.Object({
      limit: T.Integer({ minimum: 1, maximum: 500, default: 50, title: 'Limit' }),
      offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
    }),
    handle: ({ bus, ctx, query }) => bus.request(calls.listPrompts, query, ctx),
  }),
  endpoint({
    method: 'DELETE',
    path: '/v1/prompts/{prompt_id}',
    access: tenant('sessions:write'),
    tags: ['tenant'],
    summary: 'Delete Prompt',
    description: 'Deletes a prompt: new calls no longer use it (a greeting or setting naming it is skipped), while calls already playing it finish.',
    params: PromptParams,
    errors: { 404: 'No such prompt of yours' },
    handle: ({ bus, ctx, params }) => bus.request(calls.deletePrompt, { prompt_id: params.prompt_id }, ctx),
  }),
]
