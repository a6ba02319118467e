/** Calls: the list (filter by status), and one call with every callback delivery and its attempts. */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { Badge, ErrorBox, Field, Pager, useLoad, When } from '../ui'
import { CallRows } from './sessions'

const LIMIT = 20
const STATUSES = ['all', 'initiated', 'ringing', 'answered', 'completed', 'busy', 'no_answer', 'failed', 'canceled'] as const
type Status = (typeof STATUSES)[number]

export function CallList({ client }: { client: MaskingClient }) {
  const [status, setStatus] = useState<Status>('all')
  const [offset, setOffset] = useState(0)
  const list = useLoad(() => client.get('/v1/calls', { params: { query: { limit: LIMIT, offset, status } } }), [status, offset])
  return (
    <section>
      <h2>Calls</h2>
      <div className="toolbar">
        <Field label="Status">
          <select aria-label="Status" value={status} onChange={(e) => (setOffset(0), setStatus(e.target.value as Status))}>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorBox error={list.error} />
      <CallRows items={list.data?.items ?? []} />
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  )
}

export function CallDetail({ client, id }: { client: MaskingClient; id: string }) {
  const call = useLoad(() => client.get('/v1/calls/{call_id}', { params: { path: { call_id: id } } }), [id])
  const c = call.data
  return (
    <section>
      <p>
        <a href="#/calls">← Calls</a>
      </p>
      <h2>Call {id}</h2>
      <ErrorBox error={call.error} />
      {c && (
        <>
          <div className="card">
            <dl data-testid="call-detail">
              <dt>Session</dt>
              <dd>
                <a className="mono" href={`#/sessions/${c.session_id}`}>
                  {c.session_id}
                </a>
              </dd>
              <dt>Status</dt>
              <dd>
                <Badge value={c.status} /> {c.end_reason && <span className="muted">({c.end_reason})</span>}
              </dd>
              <dt>Direction</dt>
              <dd>{c.direction}</dd>
              <dt>From</dt>
              <dd>
                {c.from_party} <span className="mono">{c.from_phone}</span>
              </dd>
              <dt>To</dt>
              <dd>
                {c.to_party} <span className="mono">{c.to_phone}</span>
              </dd>
              <dt>Masked number</dt>
              <dd className="mono">{c.masked_e164}</dd>
              <dt>Bill id</dt>
              <dd>{c.bill_id ?? '—'}</dd>
              <dt>Created / answered / ended</dt>
              <dd>
                <When at={c.created_at} /> / <When at={c.answered_at} /> / <When at={c.ended_at} />
              </dd>
              <dt>Duration</dt>
              <dd>{c.duration_seconds === null ? '—' : `${c.duration_seconds} s`}</dd>
            </dl>
          </div>
          <h3>Callback deliveries</h3>
          {c.callbacks.length === 0 && <p className="muted">No state callbacks were asked for.</p>}
          {c.callbacks.map((d) => (
            <div className="card" key={d.id} data-testid="callback">
              <p>
                <strong>#{d.sequence}</strong> {d.event} → <span className="mono">{d.url}</span> <Badge value={d.status} />{' '}
                <span className="muted">
                  {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                  {d.next_attempt_at ? `, next at ${d.next_attempt_at}` : ''}
                </span>
              </p>
              {d.attempt_log.length > 0 && (
                <table>
                  <thead>
                    <tr>
                      <th>Attempt at</th>
                      <th>HTTP status</th>
                      <th>Error</th>
                      <th>Took</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.attempt_log.map((a, i) => (
                      <tr key={i}>
                        <td>
                          <When at={a.at} />
                        </td>
                        <td>{a.status_code ?? '—'}</td>
                        <td>{a.error ?? ''}</td>
                        <td>{a.duration_ms} ms</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          ))}
        </>
      )}
    </section>
  )
}
