/** A prompt reference given by a tenant must name a built-in prompt or one of its own (422 otherwise). */
import type { Bus } from '../bus/bus'
import { calls } from '../contracts/calls'
import { isAppError, validationError } from '../errors'
import { BUILTIN_PROMPT_NAMES } from './builtin'

export async function checkPromptRef(bus: Bus, tenantId: string, ref: string, loc: (string | number)[], requestId = ''): Promise<void> {
  if (ref.startsWith('builtin:')) {
    if ((BUILTIN_PROMPT_NAMES as string[]).includes(ref.slice(8))) return
    throw validationError([{ loc, msg: `no built-in prompt ${ref}; one of ${BUILTIN_PROMPT_NAMES.map((n) => `builtin:${n}`).join(', ')}`, type: 'value_error' }])
  }
  try {
    await bus.request(calls.getPrompt, { prompt_id: ref }, { requestId, tenantId })
  } catch (e) {
    if (isAppError(e) && e.code === 'prompt_not_found') throw validationError([{ loc, msg: `no prompt ${ref} of yours`, type: 'value_error' }])
    throw e
  }
}
