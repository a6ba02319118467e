/**
 * drizzle-kit config for one service's migrations: `SERVICE=identity bunx drizzle-kit generate
 * --config shared/db/drizzle.config.ts` (or `bun run db:generate` for all of them).
 */
const service = process.env.SERVICE
if (!service) throw new Error('SERVICE is required (identity, did, sessions, call-control)')
const schemaName = service === 'call-control' ? 'calls' : service

export default {
  dialect: 'postgresql',
  schema: `./services/${service}/db/schema.ts`,
  out: `./services/${service}/db/migrations`,
  schemaFilter: [schemaName],
}
