/**
 * API keys: list (prefixes only), create (plaintext shown once), rotate, revoke. Rotating or
 * revoking the key the console is signed in with ends it: after a rotation the console carries on
 * with the new key; after a revocation it signs out.
 */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { Badge, ErrorBox, Field, ShownOnce, useAction, useLoad, When } from '../ui'

const SCOPES = ['sessions:read', 'sessions:write', 'calls:read', 'calls:write', 'dids:read', 'keys:manage'] as const
type Scope = (typeof SCOPES)[number]

export function ApiKeys({ client, currentKey, onKeyReplaced, onSignedOut }: { client: MaskingClient; currentKey: string; onKeyReplaced: (key: string) => void; onSignedOut: () => void }) {
  const keys = useLoad(() => client.get('/v1/api-keys', { params: { query: { limit: 500 } } }), [])
  const action = useAction()
  const [shown, setShown] = useState<{ title: string; value: string }>()
  const [label, setLabel] = useState('')
  const [scopes, setScopes] = useState<Scope[]>([...SCOPES])
  const [days, setDays] = useState('')
  const inUse = (prefix: string) => currentKey.startsWith(prefix)

  return (
    <section>
      <h2>API keys</h2>
      <ErrorBox error={keys.error ?? action.error} />
      {shown && <ShownOnce title={shown.title} value={shown.value} onDone={() => setShown(undefined)} />}
      <div className="card">
        <h3 style={{ marginTop: 0 }}>Create a key</h3>
        <form
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault()
            await action.run(async () => {
              const created = await client.post('/v1/api-keys', {
                body: { label: label.trim() || null, scopes, ...(days ? { expires_in_days: Number(days) } : {}) },
              })
              if (created.api_key) setShown({ title: `New key ${created.api_key_prefix}…`, value: created.api_key })
              setLabel('')
              keys.reload()
            })
          }}
        >
          <Field label="Label">
            <input aria-label="Label" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="mobile-backend" maxLength={80} />
          </Field>
          <Field label="Expires in days (optional)">
            <input aria-label="Expires in days" type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
          </Field>
          <fieldset style={{ border: 'none', display: 'flex', gap: 10, padding: 0 }}>
            {SCOPES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={action.busy || scopes.length === 0}>
            Create key
          </button>
        </form>
      </div>
      <table data-testid="keys">
        <thead>
          <tr>
            <th>Prefix</th>
            <th>Label</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th>State</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {keys.data?.items.map((k) => (
            <tr key={k.id} data-key-id={k.id}>
              <td className="mono">
                {k.api_key_prefix}… {k.is_active && inUse(k.api_key_prefix) && <span className="badge">in use here</span>}
              </td>
              <td>{k.label ?? '—'}</td>
              <td>{k.scopes.join(', ')}</td>
              <td>
                <When at={k.created_at} />
              </td>
              <td>
                <When at={k.last_used_at} />
              </td>
              <td>
                <When at={k.expires_at} />
              </td>
              <td>
                <Badge value={k.is_active ? 'active' : 'revoked'} />
              </td>
              <td style={{ whiteSpace: 'nowrap' }}>
                {k.is_active && (
                  <>
                    <button
                      className="secondary"
                      disabled={action.busy}
                      onClick={async () => {
                        const warning = inUse(k.api_key_prefix) ? ' This is the key this console uses: it stops working now, and the console switches to the new one.' : ' The old key stops working at once.'
                        if (!confirm(`Rotate ${k.api_key_prefix}…?${warning}`)) return
                        await action.run(async () => {
                          const r = await client.post('/v1/api-keys/{api_key_id}/rotate', { params: { path: { api_key_id: k.id } } })
                          if (r.api_key) {
                            setShown({ title: `Rotated: new key ${r.api_key_prefix}…`, value: r.api_key })
                            if (inUse(k.api_key_prefix)) onKeyReplaced(r.api_key)
                          }
                          keys.reload()
                        })
                      }}
                    >
                      Rotate
                    </button>{' '}
                    <button
                      className="danger"
                      disabled={action.busy}
                      onClick={async () => {
                        const warning = inUse(k.api_key_prefix) ? ' This is the key this console uses: you will be signed out.' : ''
                        if (!confirm(`Revoke ${k.api_key_prefix}…? It stops working at once.${warning}`)) return
                        await action.run(async () => {
                          await client.post('/v1/api-keys/{api_key_id}/revoke', { params: { path: { api_key_id: k.id } } })
                          if (inUse(k.api_key_prefix)) onSignedOut()
                          else keys.reload()
                        })
                      }}
                    >
                      Revoke
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
