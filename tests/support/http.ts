/** A small HTTP client for tests: JSON in, status + JSON + headers out. */
export interface HttpResult<T = any> {
  status: number
  body: T
  headers: Headers
  text: string
}

export function client(baseUrl: string) {
  async function call<T = any>(method: string, path: string, opts: { key?: string; bearer?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) }
    if (opts.key) headers['x-api-key'] = opts.key
    if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`
    let body: string | undefined
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    }
    const res = await fetch(baseUrl + path, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text }
  }
  return {
    call,
    get: <T = any>(path: string, opts?: Parameters<typeof call>[2]) => call<T>('GET', path, opts),
    post: <T = any>(path: string, opts?: Parameters<typeof call>[2]) => call<T>('POST', path, opts),
    patch: <T = any>(path: string, opts?: Parameters<typeof call>[2]) => call<T>('PATCH', path, opts),
    delete: <T = any>(path: string, opts?: Parameters<typeof call>[2]) => call<T>('DELETE', path, opts),
  }
}

export type Client = ReturnType<typeof client>

/** Creates a tenant as operator; returns its id, first key and the full reply. */
export async function createTenant(http: Client, adminToken: string, body: Record<string, unknown> = {}) {
  const r = await http.post('/admin/v1/tenants', { bearer: adminToken, body: { name: `tenant-${Math.random().toString(36).slice(2, 8)}`, ...body } })
  if (r.status !== 200) throw new Error(`tenant create failed: ${r.status} ${r.text}`)
  return { tenantId: r.body.tenant.id as string, key: r.body.api_key.api_key as string, keyId: r.body.api_key.id as string, reply: r.body }
}
