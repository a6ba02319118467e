/**
 * Generates the built-in prompts (shared/prompts/builtin.ts) into a directory, for an image build:
 * `bun scripts/build-prompts.ts /var/lib/masking/prompts`. call-control also does it at start
 * when they are missing, so this only moves the cost from the first start to the build.
 */
import { ensureBuiltinPrompts } from '../shared/prompts/builtin'

const dir = process.argv[2] ?? process.env.PROMPTS_DIR ?? './data/prompts'
const prompts = await ensureBuiltinPrompts(dir)
for (const [name, p] of prompts) console.log(`${name}\t${(p.durationMs / 1000).toFixed(2)} s\t${p.path}`)
