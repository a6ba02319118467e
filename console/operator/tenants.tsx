/** Operators: tenants (create: first key and webhook secret shown once; settings; list). */
import type { MaskingClient } from '@masking/sdk'
import { useEffect, useState } from 'react'
import { ErrorBox, Field, go, Pager, ShownOnce, useAction, useLoad, When } from '../ui'

const LIMIT = 50
type Sharing = 'exclusive' | 'shared'

export function TenantList({ client }: { client: MaskingClient }) {
  const [offset, setOffset] = useState(0)
  const list = useLoad(() => client.get('/admin/v1/tenants', { params: { query: { limit: LIMIT, offset } } }), [offset])
  const action = useAction()
  const [name, setName] = useState('')
  const [sharing, setSharing] = useState<Sharing>('exclusive')
  const [rate, setRate] = useState('')
  const [created, setCreated] = useState<{ tenantId: string; key: string; secret: string }>()
  return (
    <section>
      <h2>Tenants</h2>
      <ErrorBox error={list.error ?? action.error} />
      {created && (
        <>
          <ShownOnce title={`Tenant ${created.tenantId}: first API key`} value={created.key} onDone={() => setCreated(undefined)} />
          <div className="notice">
            Webhook signing secret: <span className="secret" data-testid="webhook-secret">{created.secret}</span>
          </div>
        </>
      )}
      <div className="card">
        <h3 style={{ marginTop: 0 }}>Create a tenant</h3>
        <form
          className="inline"
          onSubmit={async (e) => {
            e.preventDefault()
            await action.run(async () => {
              const r = await client.post('/admin/v1/tenants', { body: { name: name.trim(), number_sharing: sharing, ...(rate ? { rate_limit_per_second: Number(rate) } : {}) } })
              setCreated({ tenantId: r.tenant.id, key: r.api_key.api_key ?? '', secret: r.webhook_secret })
              setName('')
              list.reload()
            })
          }}
        >
          <Field label="Name">
            <input aria-label="Name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
          </Field>
          <Field label="Number sharing">
            <select aria-label="Number sharing" value={sharing} onChange={(e) => setSharing(e.target.value as Sharing)}>
              <option value="exclusive">exclusive (one open session per number)</option>
              <option value="shared">shared (a number carries many sessions)</option>
            </select>
          </Field>
          <Field label="Rate limit / s (optional)">
            <input aria-label="Rate limit" type="number" min={1} max={100000} value={rate} onChange={(e) => setRate(e.target.value)} />
          </Field>
          <button type="submit" disabled={action.busy}>
            Create tenant
          </button>
        </form>
      </div>
      <table data-testid="tenants">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Name</th>
            <th>Number sharing</th>
            <th>Rate limit</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((t) => (
            <tr key={t.id} className="clickable" onClick={() => go('tenants', t.id)}>
              <td className="mono">{t.id}</td>
              <td>{t.name}</td>
              <td>{t.number_sharing}</td>
              <td>{t.rate_limit_per_second ?? 'default'}</td>
              <td>
                <When at={t.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  )
}

export function TenantDetail({ client, id }: { client: MaskingClient; id: string }) {
  const tenant = useLoad(() => client.get('/admin/v1/tenants/{tenant_id}', { params: { path: { tenant_id: id } } }), [id])
  const numbers = useLoad(() => client.get('/admin/v1/dids', { params: { query: { tenant_id: id, status: 'all', limit: 500 } } }), [id])
  const save = useAction()
  const [name, setName] = useState('')
  const [sharing, setSharing] = useState<Sharing>('exclusive')
  const [rate, setRate] = useState('')
  const [saved, setSaved] = useState(false)
  const t = tenant.data
  useEffect(() => {
    if (!t) return
    setName(t.name)
    setSharing(t.number_sharing)
    setRate(t.rate_limit_per_second === null ? '' : String(t.rate_limit_per_second))
  }, [t])
  return (
    <section>
      <p>
        <a href="#/tenants">← Tenants</a>
      </p>
      <h2>Tenant {id}</h2>
      <ErrorBox error={tenant.error ?? save.error} />
      {saved && <div className="notice">Saved.</div>}
      {t && (
        <div className="card">
          <form
            className="inline"
            onSubmit={async (e) => {
              e.preventDefault()
              setSaved(false)
              const ok = await save.run(() =>
                client.patch('/admin/v1/tenants/{tenant_id}', { params: { path: { tenant_id: id } }, body: { name: name.trim(), number_sharing: sharing, rate_limit_per_second: rate ? Number(rate) : null } }),
              )
              if (ok) (setSaved(true), tenant.reload())
            }}
          >
            <Field label="Name">
              <input aria-label="Name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
            </Field>
            <Field label="Number sharing">
              <select aria-label="Number sharing" value={sharing} onChange={(e) => setSharing(e.target.value as Sharing)}>
                <option value="exclusive">exclusive</option>
                <option value="shared">shared</option>
              </select>
            </Field>
            <Field label="Rate limit / s (empty = default)">
              <input aria-label="Rate limit" type="number" min={1} max={100000} value={rate} onChange={(e) => setRate(e.target.value)} />
            </Field>
            <button type="submit" disabled={save.busy}>
              Save
            </button>
          </form>
          <p className="muted">
            Created <When at={t.created_at} />, updated <When at={t.updated_at} />
          </p>
        </div>
      )}
      <h3>Numbers</h3>
      <ErrorBox error={numbers.error} />
      <ul data-testid="tenant-numbers">
        {numbers.data?.items.map((d) => (
          <li key={d.id} className="mono">
            {d.e164} ({d.status})
          </li>
        ))}
      </ul>
    </section>
  )
}
