/** `/v1/webhook-secret`: the key that signs your state callbacks; read it, or rotate it. */
import { identity } from '../../../shared/contracts/identity'
import { endpoint, tenant } from '../endpoint'

export const webhookSecretEndpoints = [
  endpoint({
    method: 'GET',
    path: '/v1/webhook-secret',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Get Webhook Secret',
    operationId: 'get_webhook_secret_v1_webhook_secret_get',
    description:
      'The secret your state callbacks are signed with. Verify a callback by computing HMAC-SHA256 of `"<t>.<raw body>"` with it and ' +
      'comparing to `v1` in `X-Masking-Signature: t=<unix>,v1=<hex>` (and refuse a `t` far from now).',
    handle: ({ bus, ctx }) => bus.request(identity.getWebhookSecret, {}, ctx),
  }),
  endpoint({
    method: 'POST',
    path: '/v1/webhook-secret/rotate',
    access: tenant('keys:manage'),
    tags: ['tenant'],
    summary: 'Rotate Webhook Secret',
    operationId: 'rotate_webhook_secret_v1_webhook_secret_rotate_post',
    description:
      'Replaces the signing secret at once and returns the new one; callbacks sent from now on are signed with it. ' +
      'With the same `Idempotency-Key` a retried rotation rotates once and answers the current secret.',
    idempotent: true,
    handle: ({ bus, ctx }) => bus.request(identity.rotateWebhookSecret, {}, ctx),
  }),
]
