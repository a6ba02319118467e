/**
 * The client: openapi-fetch over the generated `paths`, with key or operator-token auth, the
 * retrying fetch, answers unwrapped to their typed body (non-2xx throws MaskingApiError), and a
 * pagination iterator over the API's `{items, limit, offset, total}` lists.
 */
import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch'
import type { HttpMethod, MediaType, PathsWithMethod, RequiredKeysOf } from 'openapi-typescript-helpers'
import { MaskingApiError } from './errors'
import { retryingFetch, type RetryOptions } from './retry'
import type { paths } from './schema'

export type Paths = paths

export interface MaskingClientOptions extends RetryOptions {
  /** e.g. http://localhost:8080 */
  baseUrl: string
  /** A tenant API key (`msk_live_…`), sent as `X-API-Key`. */
  apiKey?: string
  /** The operator token, sent as `Authorization: Bearer …` (for `/admin/v1`). */
  adminToken?: string
  headers?: Record<string, string>
}

type Init<P extends keyof Paths, M extends HttpMethod> = MaybeOptionalInit<Paths[P], M>
/** openapi-fetch's rule: the init argument is optional when nothing in it is required. */
type InitArg<I> = RequiredKeysOf<I> extends never ? [(I & { [key: string]: unknown })?] : [I & { [key: string]: unknown }]
/** The typed body of an operation's 2xx answer. */
export type Data<P extends keyof Paths, M extends HttpMethod, I = {}> = Paths[P][M] extends Record<string | number, any>
  ? NonNullable<FetchResponse<Paths[P][M], I, MediaType>['data']>
  : never

/** GET paths whose answer is a page `{items, limit, offset, total}`. */
export type ListPath = {
  [P in PathsWithMethod<Paths, 'get'>]: Data<P, 'get'> extends { items: unknown[]; total: number } ? P : never
}[PathsWithMethod<Paths, 'get'>]
export type ListItem<P extends ListPath> = Data<P, 'get'> extends { items: (infer T)[] } ? T : never

export class MaskingClient {
  /** The underlying openapi-fetch client (answers as `{data, error, response}`). */
  readonly raw: Client<Paths>
  private readonly opts: MaskingClientOptions

  constructor(opts: MaskingClientOptions) {
    this.opts = opts
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.apiKey) headers['X-API-Key'] = opts.apiKey
    if (opts.adminToken) headers.Authorization = `Bearer ${opts.adminToken}`
    this.raw = createClient<Paths>({ baseUrl: opts.baseUrl.replace(/\/+$/, ''), headers, fetch: retryingFetch(opts) })
  }

  /** The same client with another API key (e.g. the one a rotation returned). */
  withApiKey(apiKey: string): MaskingClient {
    return new MaskingClient({ ...this.opts, apiKey, adminToken: undefined })
  }

  get<P extends PathsWithMethod<Paths, 'get'>, I extends Init<P, 'get'>>(path: P, ...init: InitArg<I>): Promise<Data<P, 'get', I>> {
    return this.send('GET', path, init[0])
  }

  post<P extends PathsWithMethod<Paths, 'post'>, I extends Init<P, 'post'>>(path: P, ...init: InitArg<I>): Promise<Data<P, 'post', I>> {
    return this.send('POST', path, init[0])
  }

  patch<P extends PathsWithMethod<Paths, 'patch'>, I extends Init<P, 'patch'>>(path: P, ...init: InitArg<I>): Promise<Data<P, 'patch', I>> {
    return this.send('PATCH', path, init[0])
  }

  /**
   * Every item of a list, page after page (`pageSize` per request, default 100), in the API's
   * order. Stops at `total` or at the first short page.
   */
  async *paginate<P extends ListPath, I extends Init<P, 'get'>>(path: P, init?: I, pageSize = 100): AsyncGenerator<ListItem<P>, void, undefined> {
    const params = (init as { params?: { query?: Record<string, unknown>; path?: Record<string, unknown> } } | undefined)?.params
    let offset = Number(params?.query?.offset ?? 0)
    const limit = Number(params?.query?.limit ?? pageSize)
    for (;;) {
      const page = (await this.send('GET', path, { ...init, params: { ...params, query: { ...params?.query, limit, offset } } })) as {
        items: ListItem<P>[]
        total: number
      }
      for (const item of page.items) yield item
      offset += page.items.length
      if (page.items.length < limit || offset >= page.total) return
    }
  }

  /** One call through openapi-fetch; a non-2xx answer becomes a MaskingApiError. */
  private async send<T>(method: 'GET' | 'POST' | 'PATCH', path: string, init: unknown): Promise<T> {
    // openapi-fetch's own signatures are checked at our public methods; here the call is generic.
    const request = this.raw.request as (m: string, p: string, i?: unknown) => Promise<{ data?: unknown; error?: unknown; response: Response }>
    const { data, error, response } = await request(method, path, init)
    if (!response.ok) throw new MaskingApiError(response.status, error, response.headers)
    return data as T
  }
}

export function createMaskingClient(opts: MaskingClientOptions): MaskingClient {
  return new MaskingClient(opts)
}
