/**
 * Environment parsing, once at start. Each service declares its variables as a TypeBox object;
 * a bad value stops the process with one line naming the variable (see `failOnConfigError`).
 */
import { Type as T, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`config error: ${variable} ${message}`)
    this.name = 'ConfigError'
  }
}

function describe(schema: TSchema): string {
  const s = schema as Record<string, unknown>
  if (s.description) return String(s.description)
  if (s.type === 'integer') {
    const range = [s.minimum !== undefined ? `≥ ${s.minimum}` : '', s.maximum !== undefined ? `≤ ${s.maximum}` : '']
      .filter(Boolean)
      .join(' and ')
    return `must be an integer${range ? ` ${range}` : ''}`
  }
  if (s.type === 'boolean') return 'must be true or false'
  if (Array.isArray(s.anyOf)) {
    const lits = (s.anyOf as Record<string, unknown>[]).map((x) => x.const).filter((x) => x !== undefined)
    if (lits.length) return `must be one of ${lits.join(', ')}`
  }
  if (s.pattern) return `must match ${s.pattern}`
  return 'is not valid'
}

/**
 * TypeBox's own conversion ("true"/"1" → true, "42" → 42), plus the one check it lacks: it
 * truncates "1.5" to the integer 1, and a bad value must stop the process instead.
 */
function convert(schema: TSchema, raw: string): unknown {
  const text = raw.trim()
  if ((schema as { type?: string }).type === 'integer' && !/^-?\d+$/.test(text)) return raw
  return Value.Convert(schema, text)
}

export function parseConfig<S extends TObject>(schema: S, env: Record<string, string | undefined> = process.env): Static<S> {
  const out: Record<string, unknown> = {}
  const required = new Set(schema.required ?? [])
  for (const [name, prop] of Object.entries(schema.properties)) {
    const raw = env[name]
    let value: unknown
    if (raw === undefined || raw === '') {
      value = (prop as Record<string, unknown>).default
      if (value === undefined) {
        if (required.has(name)) throw new ConfigError(name, 'is required')
        continue
      }
    } else {
      value = convert(prop, raw)
    }
    if (!Value.Check(prop, value)) {
      throw new ConfigError(name, `${describe(prop)} (got ${JSON.stringify(raw)})`)
    }
    const check = (prop as { 'x-check'?: (v: unknown) => string | undefined })['x-check']
    const problem = check?.(value)
    if (problem) throw new ConfigError(name, `${problem} (got ${JSON.stringify(raw)})`)
    out[name] = value
  }
  return out as Static<S>
}

/** A string checked by a function returning the problem, if any. */
export function checkedString(check: (v: string) => string | undefined, opts: { default?: string; description?: string } = {}) {
  return T.String({ ...opts, 'x-check': (v: unknown) => check(String(v)) })
}

export const urlWithScheme = (schemes: string[]) => (v: string) => {
  try {
    const u = new URL(v)
    if (!schemes.includes(u.protocol.replace(':', ''))) return `must be a ${schemes.join(' or ')} URL`
  } catch {
    return `must be a ${schemes.join(' or ')} URL`
  }
  return undefined
}

/** Variables every service reads. */
export const CommonConfig = {
  DATABASE_URL: T.Optional(checkedString(urlWithScheme(['postgres', 'postgresql']))),
  NATS_URL: T.Optional(
    checkedString((v) => (v.split(',').every((s) => /^(nats|tls):\/\/[^\s]+$/.test(s.trim())) ? undefined : 'must be nats://host:port (comma-separated for several)')),
  ),
  /** This service's NATS user and password (each service has its own: infra/nats/). */
  NATS_USER: T.Optional(T.String({ minLength: 1, maxLength: 64 })),
  NATS_PASSWORD: T.Optional(T.String({ minLength: 1 })),
  /** A NATS `.creds` file instead of user and password. */
  NATS_CREDS_FILE: T.Optional(T.String({ minLength: 1 })),
  /** TLS to NATS (use tls:// URLs): a CA file to trust, and a client certificate and key if the server wants one. */
  NATS_TLS_CA_FILE: T.Optional(T.String({ minLength: 1 })),
  NATS_TLS_CERT_FILE: T.Optional(T.String({ minLength: 1 })),
  NATS_TLS_KEY_FILE: T.Optional(T.String({ minLength: 1 })),
  BUS_PREFIX: T.String({ default: 'masking', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'must be 1-64 letters, digits, _ or -' }),
  BUS_TIMEOUT_MS: T.Integer({ default: 2000, minimum: 50, maximum: 60000 }),
  DATA_DIR: T.String({ default: './data' }),
  LOG_LEVEL: T.Union(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => T.Literal(l)), { default: 'info' }),
  DB_POOL_MAX: T.Integer({ default: 10, minimum: 1, maximum: 200 }),
}

export function failOnConfigError<T>(load: () => T): T {
  try {
    return load()
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`)
      process.exit(2)
    }
    throw e
  }
}
