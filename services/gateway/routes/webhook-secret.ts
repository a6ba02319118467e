/** `/v1/webhook-secret`: the key that signs your state callbacks; read it, or rotate it. */
import { Elysia } from 'elysia'
import { identity } from '../../../shared/contracts/identity'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { responses } from '../responses'

export const webhookSecretRoutes = (access: AccessPlugin) =>
  new Elysia({ name: 'gateway:webhook-secret' })
    .use(access)
    .use(models)
    .get('/v1/webhook-secret', ({ bus, ctx }) => bus.request(identity.getWebhookSecret, {}, ctx), {
      access: tenant('keys:manage'),
      response: responses('WebhookSecret', tenant('keys:manage')),
      detail: {
        tags: ['webhooks'],
        summary: 'Get Webhook Secret',
        operationId: 'get_webhook_secret_v1_webhook_secret_get',
        description:
          'The secret your state callbacks are signed with. Verify a callback by computing HMAC-SHA256 of `"<t>.<raw body>"` with it and ' +
          'comparing to `v1` in `X-Masking-Signature: t=<unix>,v1=<hex>` (and refuse a `t` far from now).',
      },
    })
    .post('/v1/webhook-secret/rotate', ({ bus, ctx }) => bus.request(identity.rotateWebhookSecret, {}, ctx), {
      access: tenant('keys:manage'),
      response: responses('WebhookSecret', tenant('keys:manage')),
      detail: {
        tags: ['webhooks'],
        summary: 'Rotate Webhook Secret',
        operationId: 'rotate_webhook_secret_v1_webhook_secret_rotate_post',
        description:
          'Replaces the signing secret at once and returns the new one; callbacks sent from now on are signed with it. ' +
          'A retried rotation rotates again: use the secret from the last answer (or read it with GET).',
      },
    })
