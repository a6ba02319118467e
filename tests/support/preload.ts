/**
 * Loaded before every test file (bunfig.toml). Checks for the real NATS and PostgreSQL once and
 * says what the run uses. Under CI=true both must be there: the suite never falls back in CI.
 */
import { IN_CI, NATS_URL, PG_ADMIN_URL, probeInfra } from './infra'

const g = globalThis as { __maskingInfraReported?: boolean }
if (!g.__maskingInfraReported) {
  g.__maskingInfraReported = true
  const infra = await probeInfra()
  const missing = [!infra.postgres && `PostgreSQL (${PG_ADMIN_URL})`, !infra.nats && `NATS (${NATS_URL})`].filter(Boolean)
  if (missing.length && IN_CI) {
    process.stderr.write(`\nFATAL: CI=true but ${missing.join(' and ')} not reachable; the suite does not fall back in CI.\n\n`)
    process.exit(1)
  }
  if (missing.length) {
    process.stderr.write(
      `\n!!! ${missing.join(' and ')} not reachable: integration tests fall back to the embedded ` +
        `${!infra.postgres ? 'PGlite' : ''}${!infra.postgres && !infra.nats ? ' and ' : ''}${!infra.nats ? 'in-process bus' : ''}. ` +
        `CI never does this.\n\n`,
    )
  }
}
