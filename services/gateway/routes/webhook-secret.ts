/** `/v1/webhook-secret`: the key that signs your state callbacks; read it, or rotate it. */
import { Elysia } from 'elysia'
import { identity } from '../../../shared/contracts/identity'
import { tenant, type AccessPlugin } from '../access'
import { models } from '../models'
import { IdempotencyHeaders, idempotencyErrors, responses } from '../responses'

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
          'comparing to a `v1` in `X-Masking-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` (and refuse a `t` far from now). After a rotation ' +
          '`previous_webhook_secret` stays valid until `previous_expires_at`, and callbacks carry one `v1` per valid secret.',
      },
    })
    .post('/v1/webhook-secret/rotate', ({ bus, ctx }) => bus.request(identity.rotateWebhookSecret, {}, ctx), {
      access: tenant('keys:manage'),
      headers: IdempotencyHeaders,
      response: responses('WebhookSecret', tenant('keys:manage'), idempotencyErrors),
      detail: {
        tags: ['webhooks'],
        summary: 'Rotate Webhook Secret',
        operationId: 'rotate_webhook_secret_v1_webhook_secret_rotate_post',
        description:
          'Replaces the signing secret and returns the new one. The one it replaces stays valid for a grace period (24 h by default, ' +
          '`previous_expires_at`): meanwhile every callback carries a `v1=` signature with each, so your receiver can switch over. ' +
          'With the same `Idempotency-Key` a retried rotation rotates once and answers the current secrets.',
      },
    })
