/**
 * Who is signed in: a tenant (an API key, sent as X-API-Key) or an operator (the admin token).
 * Kept in sessionStorage, so closing the tab signs out; never in localStorage or a cookie.
 */
import { createMaskingClient, MaskingApiError, type MaskingClient } from '@masking/sdk'

export type Auth = { kind: 'tenant'; apiKey: string; tenantId: string } | { kind: 'operator'; token: string }

const STORAGE_KEY = 'masking-console-auth'

export function loadAuth(): Auth | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY)
  if (!raw) return undefined
  try {
    return JSON.parse(raw) as Auth
  } catch {
    return undefined
  }
}

export function saveAuth(auth: Auth | undefined): void {
  if (auth) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(auth))
  else sessionStorage.removeItem(STORAGE_KEY)
}

export function clientFor(auth: Auth): MaskingClient {
  // Few retries: a person is waiting, and the console shows the error instead.
  const common = { baseUrl: location.origin, retries: 1, maxDelayMs: 3000 }
  return auth.kind === 'tenant' ? createMaskingClient({ ...common, apiKey: auth.apiKey }) : createMaskingClient({ ...common, adminToken: auth.token })
}

/** Checks the credential with one harmless read; the tenant id comes from the API, not from input. */
export async function signIn(kind: Auth['kind'], secret: string): Promise<Auth> {
  if (kind === 'operator') {
    const auth: Auth = { kind: 'operator', token: secret }
    await clientFor(auth).get('/admin/v1/tenants', { params: { query: { limit: 1 } } })
    return auth
  }
  const probe = createMaskingClient({ baseUrl: location.origin, apiKey: secret, retries: 1 })
  try {
    const keys = await probe.get('/v1/api-keys', { params: { query: { limit: 1 } } })
    return { kind: 'tenant', apiKey: secret, tenantId: keys.tenant_id }
  } catch (e) {
    // A key without keys:manage can still sign in to see what its scopes allow.
    if (e instanceof MaskingApiError && e.status === 403) return { kind: 'tenant', apiKey: secret, tenantId: '' }
    throw e
  }
}

export function describeError(e: unknown): string {
  if (e instanceof MaskingApiError) {
    const issues = e.issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')
    return `${e.message}${issues ? ` (${issues})` : ''}${e.requestId ? ` [${e.requestId}]` : ''}`
  }
  return e instanceof Error ? e.message : String(e)
}
