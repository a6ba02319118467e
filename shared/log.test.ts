import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { generateApiKey } from './api-key'
import { createLogger, maskPhone } from './log'

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

test('no phone number or webhook secret reaches a log line; a failed statement is logged without its parameters', async () => {
  const { DrizzleQueryError } = await import('drizzle-orm/errors')
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk))
      cb()
    },
  })
  const log = createLogger({ level: 'info', destination: sink })
  const driver = '+14155550123'
  const customer = '+447700900456'
  const cause = new Error('duplicate key value violates unique constraint')
  const err = new DrizzleQueryError('insert into sessions.sessions (driver_phone, customer_phone) values ($1, $2)', [driver, customer], cause)
  log.error({ err }, 'unexpected error')
  log.info({ e164: driver, note: `call from ${customer} to whsec_abcdefghijklmnopqrstuvwx` }, 'call')
  await Bun.sleep(10)
  const all = lines.join('')
  for (const secret of [driver, customer, 'whsec_abcdefghijklmnopqrstuvwx']) expect(all).not.toContain(secret)
  expect(all).toContain('+1415***0123') // masked, still telling numbers apart
  expect(all).toContain('Failed query: insert into sessions.sessions')
  expect(all).toContain('[2 parameters not logged]')
  expect(all).toContain('duplicate key value')
  for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
  expect(maskPhone('+14155550123')).toBe('+1415***0123')
})
