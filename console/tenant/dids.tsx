/** The tenant's numbers (assignments), by status. */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { Badge, ErrorBox, Field, Pager, useLoad, When } from '../ui'

const LIMIT = 50
type Status = 'active' | 'released' | 'suspended' | 'all'

export function TenantDids({ client }: { client: MaskingClient }) {
  const [status, setStatus] = useState<Status>('active')
  const [offset, setOffset] = useState(0)
  const list = useLoad(() => client.get('/v1/did/assignments', { params: { query: { status, limit: LIMIT, offset } } }), [status, offset])
  return (
    <section>
      <h2>Numbers</h2>
      <div className="toolbar">
        <Field label="Status">
          <select aria-label="Status" value={status} onChange={(e) => (setOffset(0), setStatus(e.target.value as Status))}>
            {['active', 'suspended', 'released', 'all'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorBox error={list.error} />
      <table data-testid="assignments">
        <thead>
          <tr>
            <th>Number</th>
            <th>Country</th>
            <th>Status</th>
            <th>Assigned</th>
            <th>Released</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((a) => (
            <tr key={a.id}>
              <td className="mono">{a.e164}</td>
              <td>{a.country ?? '—'}</td>
              <td>
                <Badge value={a.status} />
              </td>
              <td>
                <When at={a.assigned_at} />
              </td>
              <td>
                <When at={a.released_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  )
}
