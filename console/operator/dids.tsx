/** Operators: the number pool: import (typed or from a CSV file), assign, release, suspend, resume. */
import type { MaskingClient } from '@masking/sdk'
import { useState } from 'react'
import { chunks, numbersFromCsv } from '../csv'
import { Badge, ErrorBox, Field, Pager, useAction, useLoad, When } from '../ui'

const LIMIT = 50
type Status = 'all' | 'available' | 'cooling_down' | 'active' | 'suspended'

export function Pool({ client }: { client: MaskingClient }) {
  const [status, setStatus] = useState<Status>('all')
  const [tenantFilter, setTenantFilter] = useState('')
  const [offset, setOffset] = useState(0)
  const list = useLoad(
    () => client.get('/admin/v1/dids', { params: { query: { status, limit: LIMIT, offset, ...(tenantFilter ? { tenant_id: tenantFilter } : {}) } } }),
    [status, tenantFilter, offset],
  )
  const tenants = useLoad(() => client.get('/admin/v1/tenants', { params: { query: { limit: 500 } } }), [])
  const action = useAction()
  const [text, setText] = useState('')
  const [report, setReport] = useState<string>()
  const [assignTo, setAssignTo] = useState<Record<string, string>>({})

  const importNumbers = (numbers: string[]) =>
    action.run(async () => {
      if (numbers.length === 0) throw new Error('no numbers found')
      let imported = 0
      let known = 0
      for (const batch of chunks(numbers)) {
        const r = await client.post('/admin/v1/dids', { body: { numbers: batch } })
        imported += r.imported.length
        known += r.already_known.length
      }
      setReport(`Imported ${imported}, already in the pool ${known}.`)
      setText('')
      list.reload()
    })

  const act = (e164: string, verb: 'release' | 'suspend' | 'resume') =>
    action.run(async () => {
      if (verb === 'release') await client.post('/admin/v1/dids/{e164}/release', { params: { path: { e164 } } })
      else if (verb === 'suspend') await client.post('/admin/v1/dids/{e164}/suspend', { params: { path: { e164 } } })
      else await client.post('/admin/v1/dids/{e164}/resume', { params: { path: { e164 } } })
      list.reload()
    })

  return (
    <section>
      <h2>Number pool</h2>
      <ErrorBox error={list.error ?? action.error} />
      {report && (
        <div className="notice" data-testid="import-report">
          {report}
        </div>
      )}
      <div className="card">
        <h3 style={{ marginTop: 0 }}>Import numbers</h3>
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault()
            void importNumbers(numbersFromCsv(text))
          }}
        >
          <Field label="Numbers (E.164, one per line)">
            <textarea aria-label="Numbers" rows={3} cols={30} value={text} onChange={(e) => setText(e.target.value)} placeholder="+12025550100" />
          </Field>
          <button type="submit" disabled={action.busy}>
            Import
          </button>
          <Field label="…or a CSV file (column e164/number/phone, else the first)">
            <input
              aria-label="CSV file"
              type="file"
              accept=".csv,text/csv,text/plain"
              onChange={async (e) => {
                const file = e.target.files?.[0]
                if (file) await importNumbers(numbersFromCsv(await file.text()))
                e.target.value = ''
              }}
            />
          </Field>
        </form>
      </div>
      <div className="toolbar">
        <Field label="Status">
          <select aria-label="Status" value={status} onChange={(e) => (setOffset(0), setStatus(e.target.value as Status))}>
            {['all', 'available', 'cooling_down', 'active', 'suspended'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Tenant">
          <select aria-label="Tenant filter" value={tenantFilter} onChange={(e) => (setOffset(0), setTenantFilter(e.target.value))}>
            <option value="">any</option>
            {tenants.data?.items.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </Field>
      </div>
      <table data-testid="pool">
        <thead>
          <tr>
            <th>Number</th>
            <th>Country</th>
            <th>Status</th>
            <th>Tenant</th>
            <th>Available at</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((d) => (
            <tr key={d.id} data-e164={d.e164}>
              <td className="mono">{d.e164}</td>
              <td>{d.country ?? '—'}</td>
              <td>
                <Badge value={d.status} />
              </td>
              <td className="mono">{d.assignment?.tenant_id ?? '—'}</td>
              <td>
                <When at={d.available_at} />
              </td>
              <td style={{ whiteSpace: 'nowrap' }}>
                {d.status === 'available' && (
                  <>
                    <select aria-label={`Assign ${d.e164} to`} value={assignTo[d.e164] ?? ''} onChange={(e) => setAssignTo({ ...assignTo, [d.e164]: e.target.value })}>
                      <option value="">tenant…</option>
                      {tenants.data?.items.map((t) => (
                        <option key={t.id} value={t.id}>
                          {t.name}
                        </option>
                      ))}
                    </select>{' '}
                    <button
                      disabled={action.busy || !assignTo[d.e164]}
                      onClick={() =>
                        action.run(async () => {
                          await client.post('/admin/v1/dids/{e164}/assign', { params: { path: { e164: d.e164 } }, body: { tenant_id: assignTo[d.e164] ?? '' } })
                          list.reload()
                        })
                      }
                    >
                      Assign
                    </button>
                  </>
                )}
                {d.status === 'active' && (
                  <>
                    <button className="secondary" disabled={action.busy} onClick={() => act(d.e164, 'suspend')}>
                      Suspend
                    </button>{' '}
                    <button
                      className="danger"
                      disabled={action.busy}
                      onClick={() => confirm(`Release ${d.e164}? Its open sessions end, and it rests before it can be assigned again.`) && act(d.e164, 'release')}
                    >
                      Release
                    </button>
                  </>
                )}
                {d.status === 'suspended' && (
                  <button className="secondary" disabled={action.busy} onClick={() => act(d.e164, 'resume')}>
                    Resume
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  )
}
