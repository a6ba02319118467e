/** The webhook signing secret: hidden until asked for; rotation replaces it at once. */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { ErrorBox, ShownOnce, useAction } from '../ui'

export function WebhookSecret({ client }: { client: MaskingClient }) {
  const [secret, setSecret] = useState<string>()
  const action = useAction()
  return (
    <section>
      <h2>Webhook secret</h2>
      <div className="card">
        <p>
          State callbacks carry <code>X-Masking-Signature: t=&lt;unix&gt;,v1=&lt;hex&gt;</code>, an HMAC-SHA256 of <code>"&lt;t&gt;.&lt;raw body&gt;"</code> with this secret. The SDK's{' '}
          <code>verifyWebhook(body, header, secrets)</code> checks it.
        </p>
        <ErrorBox error={action.error} />
        {secret ? (
          <ShownOnce title="Webhook secret" value={secret} onDone={() => setSecret(undefined)} />
        ) : (
          <button className="secondary" disabled={action.busy} onClick={() => action.run(async () => setSecret((await client.get('/v1/webhook-secret')).webhook_secret))}>
            Reveal secret
          </button>
        )}{' '}
        <button
          className="danger"
          disabled={action.busy}
          onClick={async () => {
            if (!confirm('Rotate the webhook secret? Callbacks are signed with the new one from now on; update your receiver (it may accept both while you deploy).')) return
            await action.run(async () => setSecret((await client.post('/v1/webhook-secret/rotate')).webhook_secret))
          }}
        >
          Rotate secret
        </button>
      </div>
    </section>
  )
}
