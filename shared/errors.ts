/**
 * One error model for the whole platform. A service throws `AppError`; the bus carries
 * `{code, message, status}` and the caller rethrows the same `AppError`, so the HTTP client sees
 * the code and status the owning service chose.
 */

/** Every error code the platform emits, with its HTTP status. */
export const ERROR_STATUS = {
  // 4xx: the caller's fault
  validation_error: 422,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  bad_request: 400,
  unauthorized: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  request_header_fields_too_large: 431,
  rate_limited: 429,
  // api keys
  api_key_not_found: 404,
  last_active_key: 409,
  scope_not_held: 403,
  key_already_revoked: 409,
  // tenants
  tenant_not_found: 404,
  // dids
  did_not_found: 404,
  did_already_exists: 409,
  did_not_available: 409,
  did_not_assigned: 409,
  did_not_suspended: 409,
  // sessions
  session_not_found: 404,
  session_exists: 409,
  session_not_open: 409,
  masked_number_not_found: 404,
  masked_number_not_assigned: 403,
  masked_number_busy: 409,
  no_masked_number_available: 409,
  destination_not_allowed: 422,
  // privacy
  phone_in_open_session: 409,
  phone_in_live_call: 409,
  // calls
  call_not_found: 404,
  callback_url_refused: 422,
  // prompts
  prompt_not_found: 404,
  recording_not_found: 404,
  recording_not_ready: 409,
  range_not_satisfiable: 416,
  recordings_unavailable: 503,
  call_limit_exceeded: 429,
  // 5xx
  internal_error: 500,
  bad_gateway: 502,
  service_unavailable: 503,
  sip_unavailable: 503,
  media_unavailable: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export function statusOf(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500
}

/** One entry of a 422 `detail` list, in the contract's HTTPValidationError shape. */
export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
}

export class AppError extends Error {
  readonly code: string
  readonly status: number
  /** Extra fields merged into the `error` object of the HTTP body (e.g. `session_id`). */
  readonly extra?: Record<string, unknown>
  /** For validation errors: the issue list; otherwise absent. */
  readonly issues?: ValidationIssue[]

  constructor(
    code: ErrorCode | (string & {}),
    message: string,
    opts: { status?: number; extra?: Record<string, unknown>; issues?: ValidationIssue[] } = {},
  ) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.status = opts.status ?? statusOf(code)
    this.extra = opts.extra
    this.issues = opts.issues
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError
}

export const unavailable = (what: string) =>
  new AppError('service_unavailable', `${what} is not available right now; try again shortly`)

export function validationError(issues: ValidationIssue[]): AppError {
  const first = issues[0]
  const message = first ? `${first.loc.join('.')}: ${first.msg}` : 'invalid request'
  return new AppError('validation_error', message, { issues })
}
