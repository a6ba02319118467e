/** The web console: sign in with an API key (tenant) or the admin token (operator); hash routes. */
import { useMemo, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { Pool } from './operator/dids'
import { TenantDetail, TenantList } from './operator/tenants'
import { clientFor, describeError, loadAuth, saveAuth, signIn, type Auth } from './session'
import { CallDetail, CallList } from './tenant/calls'
import { TenantDids } from './tenant/dids'
import { ApiKeys } from './tenant/keys'
import { SessionDetail, SessionList } from './tenant/sessions'
import { WebhookSecret } from './tenant/webhook'
import { ErrorBox, Field, go, useRoute } from './ui'

const TENANT_NAV = [
  ['sessions', 'Sessions'],
  ['calls', 'Calls'],
  ['numbers', 'Numbers'],
  ['keys', 'API keys'],
  ['webhook', 'Webhook secret'],
] as const
const OPERATOR_NAV = [
  ['tenants', 'Tenants'],
  ['pool', 'Number pool'],
] as const

function SignIn({ onSignedIn }: { onSignedIn: (a: Auth) => void }) {
  const [kind, setKind] = useState<Auth['kind']>('tenant')
  const [secret, setSecret] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  return (
    <div className="card signin">
      <h2>Sign in</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError(undefined)
          try {
            onSignedIn(await signIn(kind, secret.trim()))
          } catch (err) {
            setError(describeError(err))
          } finally {
            setBusy(false)
          }
        }}
        style={{ display: 'flex', flexDirection: 'column', gap: 12 }}
      >
        <div style={{ display: 'flex', gap: 16 }}>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'tenant'} onChange={() => setKind('tenant')} /> Tenant (API key)
          </label>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'operator'} onChange={() => setKind('operator')} /> Operator (admin token)
          </label>
        </div>
        <Field label={kind === 'tenant' ? 'API key' : 'Admin token'}>
          <input aria-label="Secret" type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} placeholder={kind === 'tenant' ? 'msk_live_…' : ''} required />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <p className="muted" style={{ margin: 0 }}>
          The credential stays in this tab only (sessionStorage) and is sent to this platform's API only.
        </p>
      </form>
    </div>
  )
}

function App() {
  const [auth, setAuthState] = useState<Auth | undefined>(loadAuth)
  const route = useRoute()
  const client = useMemo(() => (auth ? clientFor(auth) : undefined), [auth])
  const setAuth = (a: Auth | undefined) => (saveAuth(a), setAuthState(a))

  if (!auth || !client) return <SignIn onSignedIn={(a) => (setAuth(a), go(a.kind === 'tenant' ? 'sessions' : 'tenants'))} />
  const nav = auth.kind === 'tenant' ? TENANT_NAV : OPERATOR_NAV
  const [page = nav[0][0], id] = route

  let body
  if (auth.kind === 'tenant') {
    if (page === 'sessions') body = id ? <SessionDetail client={client} id={id} /> : <SessionList client={client} />
    else if (page === 'calls') body = id ? <CallDetail client={client} id={id} /> : <CallList client={client} />
    else if (page === 'numbers') body = <TenantDids client={client} />
    else if (page === 'keys')
      body = <ApiKeys client={client} currentKey={auth.apiKey} onKeyReplaced={(apiKey) => setAuth({ ...auth, apiKey })} onSignedOut={() => setAuth(undefined)} />
    else if (page === 'webhook') body = <WebhookSecret client={client} />
  } else {
    if (page === 'tenants') body = id ? <TenantDetail client={client} id={id} /> : <TenantList client={client} />
    else if (page === 'pool') body = <Pool client={client} />
  }
  return (
    <>
      <header>
        <h1>Masking console</h1>
        <nav>
          {nav.map(([p, label]) => (
            <a key={p} href={`#/${p}`} className={p === page ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span className="muted" data-testid="who">
          {auth.kind === 'tenant' ? `tenant ${auth.tenantId || '(key without keys:manage)'} · ${auth.apiKey.slice(0, 15)}…` : 'operator'}
        </span>
        <a href="/docs">API reference</a>
        <button className="secondary" onClick={() => setAuth(undefined)}>
          Sign out
        </button>
      </header>
      <main>{body ?? <p>Nothing here. Pick a page above.</p>}</main>
    </>
  )
}

createRoot(document.getElementById('root')!).render(<App />)
