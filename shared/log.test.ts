import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { generateApiKey } from './api-key'
import { createLogger } from './log'

test('no API key reaches a log line, whatever field it is in', async () => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk))
      cb()
    },
  })
  const log = createLogger({ level: 'info', destination: sink })
  const key = generateApiKey()
  log.info({ api_key: key }, 'by field')
  log.info({ nested: { note: `header was ${key}` } }, 'nested')
  log.info(`in the message ${key}`)
  log.info({ headers: { 'x-api-key': key, authorization: `Bearer ${key}` } }, 'headers')
  await Bun.sleep(10)
  expect(lines).toHaveLength(4)
  for (const l of lines) {
    expect(l).not.toContain(key)
    expect(() => JSON.parse(l)).not.toThrow()
  }
  expect(lines.join('')).toContain(key.slice(0, 15)) // the prefix stays, so lines are still useful
})
