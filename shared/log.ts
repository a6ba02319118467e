/**
 * JSON logs (pino). API keys never reach the output: known fields are redacted by path, and every
 * serialized line is scrubbed of anything shaped like a key, whatever field it hid in.
 */
import pino, { type Logger } from 'pino'

export type { Logger }

const KEY_PATTERN = /msk_live_[0-9A-Za-z]{20,}/g

export function scrubKeys(line: string): string {
  return line.replace(KEY_PATTERN, (k) => `${k.slice(0, 15)}…[redacted]`)
}

const REDACT = [
  'api_key',
  '*.api_key',
  'key',
  'headers["x-api-key"]',
  'headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'webhook_secret',
  '*.webhook_secret',
  'secret',
  'admin_token',
]

let root: Logger | undefined

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: { streamWrite: scrubKeys },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  )
}

/** The process-wide logger; each service logs through a child bound to its name. */
export function rootLogger(level?: string): Logger {
  root ??= createLogger({ level })
  return root
}

export function serviceLogger(service: string, level?: string): Logger {
  return rootLogger(level).child({ service })
}

export function flushLogs(): void {
  try {
    root?.flush()
  } catch {
    // a closed stream at exit is not worth a crash
  }
}
