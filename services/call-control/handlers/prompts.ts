import { createHash } from 'node:crypto'
import { requireTenant, type Bus } from '../../../shared/bus/bus'
import { calls } from '../../../shared/contracts/calls'
import type { IdempotencyStore } from '../../../shared/idempotency'
import type { PromptStore } from '../prompts/prompt-store'

export function servePrompts(bus: Bus, store: PromptStore, idem: IdempotencyStore): void {
  bus.serve(calls.createPrompt, ({ name, audio_base64 }, ctx) => {
    const tenantId = requireTenant(ctx)
    // The replay check compares a digest of the audio, not the audio itself.
    const request = { name, sha256: createHash('sha256').update(audio_base64).digest('hex') }
    return idem.run({ tenantId, key: ctx.idempotencyKey, operation: calls.createPrompt.subject, request }, () =>
      store.create(tenantId, name, new Uint8Array(Buffer.from(audio_base64, 'base64'))),
    )
  })
  bus.serve(calls.listPrompts, (page, ctx) => store.list(requireTenant(ctx), page))
  bus.serve(calls.getPrompt, ({ prompt_id }, ctx) => store.get(requireTenant(ctx), prompt_id))
  bus.serve(calls.deletePrompt, ({ prompt_id }, ctx) => store.delete(requireTenant(ctx), prompt_id))
}
