/**
 * JSON logs (pino). No API key, webhook secret or phone number reaches the output: known fields
 * are redacted by path, a failed statement's error is logged without its parameters, and every
 * serialized line is scrubbed of anything shaped like a key, a secret or an E.164 number
 * (numbers are masked, `+1415***0123`, so a line still tells an operator which one it was).
 */
import pino, { type Logger } from 'pino'

export type { Logger }

const KEY_PATTERN = /msk_live_[0-9A-Za-z]{20,}/g
const SECRET_PATTERN = /whsec_[0-9A-Za-z]{16,}/g
/** E.164: a plus and 8-15 digits, not part of a longer run of digits. */
const PHONE_PATTERN = /\+\d{8,15}(?!\d)/g

/** `+14155550123` → `+1415***0123`: enough for an operator to tell numbers apart, not to dial one. */
export function maskPhone(e164: string): string {
  return e164.length <= 9 ? `${e164.slice(0, 3)}***` : `${e164.slice(0, 5)}***${e164.slice(-4)}`
}

export function scrubKeys(line: string): string {
  return line
    .replace(KEY_PATTERN, (k) => `${k.slice(0, 15)}…[redacted]`)
    .replace(SECRET_PATTERN, 'whsec_…[redacted]')
    .replace(PHONE_PATTERN, maskPhone)
}

/**
 * Errors as pino logs them, but a failed statement (drizzle's DrizzleQueryError) without its
 * parameters: they are the parties' phones, keys' hashes, secrets. The SQL text stays.
 */
function errWithoutParams(err: unknown): unknown {
  const e = err as { query?: unknown; params?: unknown[]; cause?: unknown; message?: string }
  if (!e || typeof e !== 'object' || typeof e.query !== 'string' || !Array.isArray(e.params)) return pino.stdSerializers.err(err as Error)
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>
  out.message = `Failed query: ${e.query}`
  out.params = `[${e.params.length} parameters not logged]`
  if (typeof out.stack === 'string') out.stack = out.stack.replace(/\nparams: [^\n]*/, '')
  if (e.cause) out.cause = pino.stdSerializers.err(e.cause as Error)
  return out
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
      serializers: { err: errWithoutParams },
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
