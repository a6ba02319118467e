/**
 * The walk-through example type-checks against the generated types with no escape hatch: no
 * casts, no non-null assertions, no `any`, no ts-ignore. (tests/e2e/sdk-example.test.ts runs it.)
 */
import { expect, test } from 'bun:test'

const ROOT = new URL('../../..', import.meta.url).pathname

test('the SDK example has no casts and the SDK package type-checks (tsc -p clients/typescript)', async () => {
  const source = await Bun.file(new URL('./walk-through.ts', import.meta.url)).text()
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
  expect(code.match(/\bas\s+(?!const\b)[A-Za-z{[(]|!\.|!\)|!;|\bany\b|@ts-(ignore|expect-error|nocheck)/g)).toBeNull()
  const tsc = Bun.spawn(['bun', 'x', 'tsc', '--noEmit', '-p', 'clients/typescript'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  const out = await new Response(tsc.stdout).text()
  expect(await tsc.exited, out).toBe(0)
}, 120_000)
