import { describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import { CommonConfig, ConfigError, parseConfig } from './config'

const Schema = T.Object({
  ...CommonConfig,
  PORT: T.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  FLAG: T.Boolean({ default: false }),
})

describe('config', () => {
  test('defaults apply and values convert by type', () => {
    const c = parseConfig(Schema, { PORT: '9000', FLAG: 'true' })
    expect(c).toMatchObject({ PORT: 9000, FLAG: true, BUS_PREFIX: 'masking', BUS_TIMEOUT_MS: 2000, LOG_LEVEL: 'info' })
    expect(c.NATS_URL).toBeUndefined()
    expect(parseConfig(Schema, { PORT: ' 81 ', FLAG: '0' })).toMatchObject({ PORT: 81, FLAG: false })
  })

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ FLAG: 'maybe' }, 'FLAG'],
    [{ NATS_URL: 'http://x' }, 'NATS_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ BUS_PREFIX: 'has space' }, 'BUS_PREFIX'],
  ])('a bad value names its variable in one line (%o)', (env, variable) => {
    let err: unknown
    try {
      parseConfig(Schema, env)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).variable).toBe(variable)
    expect((err as Error).message).toStartWith(`config error: ${variable} `)
    expect((err as Error).message).not.toContain('\n')
  })
})
