/**
 * A state-callback receiver: verify the signature on the raw body, then act on the event. Answer
 * 2xx quickly; anything else (or no answer in 5 s) is retried with backoff for three days.
 *
 *   WEBHOOK_SECRET=... bun clients/typescript/examples/webhook-receiver.ts
 */
import { SIGNATURE_HEADER, verifyWebhook, WebhookVerificationError, type CallStateEvent } from '../src'

export function callbackHandler(secrets: string[], onEvent: (e: CallStateEvent) => void | Promise<void>) {
  return async (req: Request): Promise<Response> => {
    const body = await req.text() // the raw bytes: the signature covers them exactly
    try {
      const event = await verifyWebhook(body, req.headers.get(SIGNATURE_HEADER), secrets)
      await onEvent(event)
      return new Response(null, { status: 204 })
    } catch (e) {
      if (e instanceof WebhookVerificationError) return new Response(e.reason, { status: 400 })
      throw e
    }
  }
}

if (import.meta.main) {
  // During a secret rotation, list both the new and the old secret.
  const secrets = (process.env.WEBHOOK_SECRET ?? '').split(',').filter(Boolean)
  if (secrets.length === 0) throw new Error('set WEBHOOK_SECRET (GET /v1/webhook-secret)')
  const handle = callbackHandler(secrets, (e) => console.log(`${e.call_id} #${e.sequence} ${e.event} (${e.status})`))
  const server = Bun.serve({ port: Number(process.env.PORT ?? 3000), fetch: handle })
  console.log(`listening on ${server.url}`)
}
