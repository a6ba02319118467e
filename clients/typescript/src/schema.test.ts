/** src/schema.d.ts is what openapi-typescript makes of the document the gateway serves today. */
import { expect, test } from 'bun:test'
import { generateSchema, SCHEMA_FILE } from '../scripts/generate'
import { servedDocument } from '../scripts/served-document'

test('the SDK types are generated from the served OpenAPI document (run `bun run generate` in clients/typescript when this fails)', async () => {
  const fresh = await generateSchema(await servedDocument())
  const committed = await Bun.file(SCHEMA_FILE).text()
  expect(committed === fresh).toBe(true)
}, 30_000)
