/** Small building blocks shared by the console's pages. */
import { useCallback, useEffect, useState, type ReactNode } from 'react'
import { describeError } from './session'

export interface Loaded<T> {
  data: T | undefined
  error: string | undefined
  loading: boolean
  reload: () => void
}

/** Runs `load` when `deps` change (and on reload); keeps the last answer while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string>()
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setLoading(true)
    load().then(
      (d) => live && (setData(d), setError(undefined), setLoading(false)),
      (e: unknown) => live && (setError(describeError(e)), setLoading(false)),
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick])
  return { data, error, loading, reload: useCallback(() => setTick((t) => t + 1), []) }
}

/** An action button's state: runs it, shows its error, tells the caller when it succeeded. */
export function useAction(): { busy: boolean; error: string | undefined; run: (f: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const run = useCallback(async (f: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    try {
      await f()
      return true
    } catch (e) {
      setError(describeError(e))
      return false
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run, clear: () => setError(undefined) }
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? (
    <div className="error" role="alert">
      {error}
    </div>
  ) : null
}

export function Badge({ value }: { value: string | null | undefined }) {
  return value ? <span className={`badge ${value}`}>{value}</span> : <span className="muted">—</span>
}

export function When({ at }: { at: string | null | undefined }) {
  return at ? <time dateTime={at}>{at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time> : <span className="muted">—</span>
}

export function Pager({ offset, limit, total, onChange }: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  const last = Math.min(offset + limit, total)
  return (
    <div className="pager">
      <button className="secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span>{total === 0 ? 'none' : `${offset + 1}–${last} of ${total}`}</span>
      <button className="secondary" disabled={last >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </div>
  )
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label>
      {label}
      {children}
    </label>
  )
}

/** Shown once: the plaintext of a new key or secret, with the warning that it will not be shown again. */
export function ShownOnce({ title, value, onDone }: { title: string; value: string; onDone: () => void }) {
  return (
    <div className="notice" data-testid="shown-once">
      <strong>{title}</strong> — copy it now; it is not shown again.
      <div style={{ margin: '8px 0' }}>
        <span className="secret" data-testid="plaintext">
          {value}
        </span>
      </div>
      <button className="secondary" onClick={() => void navigator.clipboard?.writeText(value)}>
        Copy
      </button>{' '}
      <button onClick={onDone}>I have stored it</button>
    </div>
  )
}

/** The hash route (#/sessions/ses_…) as path segments. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent)
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const on = () => setRoute(read())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

export const go = (...parts: string[]) => {
  location.hash = `#/${parts.map(encodeURIComponent).join('/')}`
}
