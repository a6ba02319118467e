/**
 * `bun start`: every service in one process on the embedded defaults (in-process bus, PGlite
 * under DATA_DIR), or on NATS_URL / DATABASE_URL when they are set.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBase62 } from '../../shared/api-key'
import { serviceLogger } from '../../shared/log'
import { startPlatform } from '../../shared/platform'
import { loadServiceConfig, onShutdown } from '../../shared/service'
import { ensurePortFree, exitOnStartupError } from '../../shared/startup'
import { gatewayService } from '../gateway/service'
import { ALL_SERVICES } from './services'

const env = { ...process.env }
const config = loadServiceConfig(gatewayService, env)
const log = serviceLogger('all-in-one', config.LOG_LEVEL)

// No ADMIN_TOKEN: generate one once, keep it in DATA_DIR, and print it.
if (!env.ADMIN_TOKEN) {
  mkdirSync(config.DATA_DIR, { recursive: true })
  const file = join(config.DATA_DIR, 'admin-token')
  if (!existsSync(file)) writeFileSync(file, `adm_${randomBase62(40)}\n`, { mode: 0o600 })
  env.ADMIN_TOKEN = readFileSync(file, 'utf8').trim()
  process.stdout.write(`\n  Operator token (ADMIN_TOKEN, stored in ${file}):\n  ${env.ADMIN_TOKEN}\n\n`)
}

// No SECRETS_KEY: generate one once and keep it in DATA_DIR (the webhook secrets are sealed with it).
if (!env.SECRETS_KEY) {
  mkdirSync(config.DATA_DIR, { recursive: true })
  const file = join(config.DATA_DIR, 'secrets-key')
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  env.SECRETS_KEY = readFileSync(file, 'utf8').trim()
}

// No RECORDINGS_KEY: generate one once and keep it in DATA_DIR (recordings are sealed with it).
if (!env.RECORDINGS_KEY) {
  mkdirSync(config.DATA_DIR, { recursive: true })
  const file = join(config.DATA_DIR, 'recordings-key')
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  env.RECORDINGS_KEY = readFileSync(file, 'utf8').trim()
}

// All-in-one is the one place drachtio-server's sample secret is assumed (a local engine, by hand).
if (env.DRACHTIO_HOST && !env.DRACHTIO_SECRET) {
  env.DRACHTIO_SECRET = 'cymru'
  log.warn('DRACHTIO_SECRET is not set: using drachtio-server\'s default secret (all-in-one only; set it in production)')
}

const platform = await exitOnStartupError(async () => {
  ensurePortFree('PORT', config.PORT)
  ensurePortFree('OPS_PORT', config.OPS_PORT)
  return startPlatform(ALL_SERVICES, env)
})
process.stdout.write(`  Masking API on http://localhost:${platform.port}  (console: /console, docs: /docs, OpenAPI: /openapi.json)\n\n`)
onShutdown(log, () => platform.stop())
