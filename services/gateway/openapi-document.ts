/**
 * What the OpenAPI document says beyond its routes (which the openapi plugin reads from each
 * route's schemas and `detail`): who publishes it, where it is served, its tags and its
 * security schemes.
 */
import { VERSION } from '../../shared/version'
import { responseModels } from './models'

/**
 * The models as plain JSON Schema. Given here, they replace the plugin's copies, which carry the
 * `$id` Elysia gives a model (invalid in an OpenAPI component) and lose `null` from nullable enums.
 */
const componentSchemas = Object.fromEntries(
  Object.entries(responseModels).map(([name, schema]) => {
    const { $id: _, ...plain } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
    return [name, plain]
  }),
)

export const documentation = {
  info: {
    title: 'CloudTalk Networks Masking API',
    description:
      'Create a session between two parties, get a masked number, and we route the call privately. ' +
      'Authenticate tenant requests with your API key in the `X-API-Key` header (or `Authorization: Bearer <key>`); ' +
      'operator requests (`/admin/v1`) with `Authorization: Bearer <ADMIN_TOKEN>`. Every answer carries `X-Request-Id`; ' +
      'tenant answers carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. Errors are ' +
      '`{"error": {"code", "message", "request_id"}, "detail"}`; validation errors (422) list every issue in `detail` as `{loc, msg, type}`.',
    version: VERSION,
    license: { name: 'MIT', identifier: 'MIT' },
    contact: { name: 'CloudTalk Networks platform team', email: 'platform@cloudtalk.example', url: 'https://cloudtalk.example/support' },
  },
  servers: [{ url: 'http://127.0.0.1:8080', description: 'All-in-one (`bun start`) or a local gateway' }],
  tags: [
    { name: 'sessions', description: 'Sessions: two parties and the masked number that connects them.' },
    { name: 'prompts', description: 'Announcements: your uploaded prompts, and what callers hear when they cannot be bridged.' },
    { name: 'calls', description: 'Originate calls and read call records with their state callbacks.' },
    { name: 'recordings', description: 'Call recordings: read, download (with Range), delete.' },
    { name: 'numbers', description: 'The masked numbers (DIDs) assigned to your tenant.' },
    { name: 'api-keys', description: 'Your API keys (create, rotate, revoke) and their audit log.' },
    { name: 'webhooks', description: 'The secret that signs your state callbacks.' },
    { name: 'privacy', description: 'Personal data: erase a phone number from your sessions and call records (retention: `phone_retention_days` in your settings).' },
    { name: 'operator', description: 'Operator API: tenants and the number pool (Authorization: Bearer $ADMIN_TOKEN).' },
    { name: 'health', description: 'Whether the services behind the gateway answer.' },
  ],
  components: {
    schemas: componentSchemas,
    securitySchemes: {
      ApiKeyHeader: { type: 'apiKey' as const, in: 'header' as const, name: 'X-API-Key', description: 'A tenant API key (`msk_live_…`).' },
      ApiKeyBearer: { type: 'http' as const, scheme: 'bearer', description: 'The same tenant API key as a Bearer token.' },
      OperatorToken: { type: 'http' as const, scheme: 'bearer', description: 'The operator token (ADMIN_TOKEN), for /admin/v1.' },
    },
  },
}
