import { describe, expect, test } from 'bun:test'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUILTIN_PROMPT_NAMES, ensureBuiltinPrompts } from './builtin'
import { checkPromptWav, promptSamples, rms } from './wav'

const haveTools = Bun.which('espeak-ng') !== null && Bun.which('sox') !== null
if (!haveTools && process.env.CI === 'true') throw new Error('CI=true but espeak-ng or sox is missing: .ci/run installs them')
if (!haveTools) console.warn('\n!!! espeak-ng or sox missing: built-in prompt generation is not tested here (apt-get install espeak-ng sox)\n')

describe.if(haveTools)('built-in prompts (espeak-ng + sox)', () => {
  test('every prompt is generated as valid 8 kHz mono 16-bit speech, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prompts-'))
    try {
      const prompts = await ensureBuiltinPrompts(dir)
      expect([...prompts.keys()].sort()).toEqual([...BUILTIN_PROMPT_NAMES].sort())
      for (const [name, p] of prompts) {
        const bytes = new Uint8Array(await readFile(p.path))
        const c = checkPromptWav(bytes)
        if (!c.ok) throw new Error(`${name}: ${JSON.stringify(c.problems)}`)
        expect(c.info).toMatchObject({ encoding: 'pcm16', sampleRate: 8000, channels: 1 })
        expect(p.durationMs).toBeGreaterThan(1000) // a spoken sentence, not a click
        expect(p.durationMs).toBeLessThan(8000)
        expect(rms(promptSamples(bytes, c.info))).toBeGreaterThan(300) // not silence
      }
      // A second start reuses the files instead of speaking them again.
      const before = (await stat(prompts.get('enter_pin')!.path)).mtimeMs
      const again = await ensureBuiltinPrompts(dir)
      expect(again.get('enter_pin')!.path).toBe(prompts.get('enter_pin')!.path)
      expect((await stat(again.get('enter_pin')!.path)).mtimeMs).toBe(before)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('a missing tool is an error naming the prompt, not a silent empty prompt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prompts-'))
    try {
      await expect(ensureBuiltinPrompts(dir, { espeak: '/nonexistent/espeak-ng' })).rejects.toThrow(/built-in prompt \w+ could not be generated/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
