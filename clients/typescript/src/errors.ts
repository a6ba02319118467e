/** What the API's error answers become in the SDK: one class, with the contract's fields. */

/** One validation issue of a 422 (the contract's HTTPValidationError item). */
export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
}

/**
 * An answer that is not 2xx, as the API describes it: `{"error": {code, message, request_id},
 * "detail"}`. `issues` holds a 422's list of validation issues (empty otherwise).
 */
export class MaskingApiError extends Error {
  override readonly name = 'MaskingApiError'
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  readonly detail: unknown
  readonly issues: ValidationIssue[]
  /** Seconds the server asked us to wait (429, 503), when it said. */
  readonly retryAfterSeconds: number | undefined

  constructor(status: number, body: unknown, headers: Headers) {
    const error = errorInfo(body)
    const code = error?.code ?? (status === 422 ? 'validation_error' : `http_${status}`)
    super(`${status} ${code}: ${error?.message ?? (typeof body === 'string' && body ? body : 'request failed')}`)
    this.status = status
    this.code = code
    this.requestId = error?.request_id ?? headers.get('x-request-id') ?? undefined
    this.detail = isRecord(body) ? body.detail : undefined
    this.issues = Array.isArray(this.detail) ? this.detail.filter(isIssue) : []
    this.retryAfterSeconds = retryAfterSeconds(headers.get('retry-after'))
  }
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or garbled. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function errorInfo(body: unknown): { code?: string; message?: string; request_id?: string } | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined
  const e = body.error
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : undefined,
    request_id: typeof e.request_id === 'string' ? e.request_id : undefined,
  }
}

function isIssue(v: unknown): v is ValidationIssue {
  return isRecord(v) && Array.isArray(v.loc) && typeof v.msg === 'string' && typeof v.type === 'string'
}
