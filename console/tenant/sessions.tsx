/** Sessions: filter by status and order id, open one, complete it; its calls beside it. */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { Badge, ErrorBox, Field, go, Pager, useAction, useLoad, When } from '../ui'

const LIMIT = 20
type Status = 'all' | 'open' | 'completed' | 'expired'

export function SessionList({ client }: { client: MaskingClient }) {
  const [status, setStatus] = useState<Status>('all')
  const [orderId, setOrderId] = useState('')
  const [applied, setApplied] = useState('')
  const [offset, setOffset] = useState(0)
  const list = useLoad(
    () => client.get('/v1/sessions', { params: { query: { status, limit: LIMIT, offset, ...(applied ? { order_id: applied } : {}) } } }),
    [status, applied, offset],
  )
  return (
    <section>
      <h2>Sessions</h2>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault()
          setOffset(0)
          setApplied(orderId.trim())
        }}
      >
        <Field label="Status">
          <select aria-label="Status" value={status} onChange={(e) => (setOffset(0), setStatus(e.target.value as Status))}>
            {['all', 'open', 'completed', 'expired'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Order id">
          <input aria-label="Order id" value={orderId} onChange={(e) => setOrderId(e.target.value)} placeholder="trip-1001" />
        </Field>
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} />
      <table data-testid="sessions">
        <thead>
          <tr>
            <th>Session</th>
            <th>Order</th>
            <th>Masked number</th>
            <th>Status</th>
            <th>Created</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((s) => (
            <tr key={s.id} className="clickable" onClick={() => go('sessions', s.id)}>
              <td className="mono">{s.id}</td>
              <td>{s.order_id ?? <span className="muted">—</span>}</td>
              <td className="mono">{s.masked_e164}</td>
              <td>
                <Badge value={s.status} />
              </td>
              <td>
                <When at={s.created_at} />
              </td>
              <td>
                <When at={s.expires_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  )
}

export function SessionDetail({ client, id }: { client: MaskingClient; id: string }) {
  const session = useLoad(() => client.get('/v1/sessions/{session_ref}', { params: { path: { session_ref: id } } }), [id])
  const calls = useLoad(() => client.get('/v1/calls', { params: { query: { session_id: id, limit: 50 } } }), [id])
  const complete = useAction()
  const s = session.data
  return (
    <section>
      <p>
        <a href="#/sessions">← Sessions</a>
      </p>
      <h2>Session {id}</h2>
      <ErrorBox error={session.error ?? complete.error} />
      {s && (
        <div className="card">
          <dl data-testid="session-detail">
            <dt>Status</dt>
            <dd>
              <Badge value={s.status} /> {s.end_reason && <span className="muted">({s.end_reason})</span>}
            </dd>
            <dt>Order id</dt>
            <dd>{s.order_id ?? '—'}</dd>
            <dt>Masked number</dt>
            <dd className="mono">{s.masked_e164}</dd>
            <dt>Driver</dt>
            <dd className="mono">{s.driver_phone}</dd>
            <dt>Customer</dt>
            <dd className="mono">{s.customer_phone}</dd>
            <dt>TTL</dt>
            <dd>{s.ttl_minutes} min</dd>
            <dt>Created</dt>
            <dd>
              <When at={s.created_at} />
            </dd>
            <dt>Expires</dt>
            <dd>
              <When at={s.expires_at} />
            </dd>
            <dt>Ended</dt>
            <dd>
              <When at={s.ended_at} />
            </dd>
          </dl>
          {s.status === 'open' && (
            <p>
              <button
                className="danger"
                disabled={complete.busy}
                onClick={async () => {
                  if (!confirm(`Complete session ${s.id}? Its number is freed at once.`)) return
                  if (await complete.run(() => client.post('/v1/sessions/{session_ref}/complete', { params: { path: { session_ref: s.id } } }))) session.reload()
                }}
              >
                Complete session
              </button>
            </p>
          )}
        </div>
      )}
      <h3>Calls</h3>
      <ErrorBox error={calls.error} />
      <CallRows items={calls.data?.items ?? []} />
    </section>
  )
}

export function CallRows({ items }: { items: { id: string; direction: string; status: string; from_party: string | null; to_party: string | null; created_at: string; duration_seconds: number | null }[] }) {
  if (items.length === 0) return <p className="muted">No calls.</p>
  return (
    <table data-testid="calls">
      <thead>
        <tr>
          <th>Call</th>
          <th>Direction</th>
          <th>From → to</th>
          <th>Status</th>
          <th>Started</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {items.map((c) => (
          <tr key={c.id} className="clickable" onClick={() => go('calls', c.id)}>
            <td className="mono">{c.id}</td>
            <td>{c.direction}</td>
            <td>
              {c.from_party ?? '—'} → {c.to_party ?? '—'}
            </td>
            <td>
              <Badge value={c.status} />
            </td>
            <td>
              <When at={c.created_at} />
            </td>
            <td>{c.duration_seconds === null ? '—' : `${c.duration_seconds} s`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
