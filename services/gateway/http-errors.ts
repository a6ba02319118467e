/**
 * The one error funnel: every failure becomes
 * `{"error": {"code", "message", "request_id", ...}, "detail": <message | [{loc, msg, type}]>}`.
 */
import { AppError, isAppError, validationError } from '../../shared/errors'
import { newId } from '../../shared/ids'
import type { Logger } from '../../shared/log'
import { requestIssues, type RouteSchemas } from './validation'

export function errorBody(e: AppError, requestId: string) {
  return {
    error: { code: e.code, message: e.message, request_id: requestId, ...(e.extra ?? {}) },
    detail: e.code === 'validation_error' && e.issues ? e.issues : e.message,
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The client's X-Request-Id when it is a sane token, else a new one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : newId('req')
}

export function toAppError(e: unknown, log: Logger, requestId: string): AppError {
  if (isAppError(e)) return e
  log.error({ err: e, request_id: requestId }, 'unhandled error')
  return new AppError('internal_error', 'internal error')
}

export interface FailedRequest {
  code: string | number
  error: unknown
  request: Request
  route?: string
  params?: Record<string, unknown>
  body?: unknown
}

/** Maps what Elysia reports (its codes, its validation errors) and what we throw to one AppError. */
export function appErrorOf(f: FailedRequest, schemasOf: (method: string, route: string) => RouteSchemas | undefined, log: Logger, requestId: string): AppError {
  if (isAppError(f.error)) return f.error
  // Elysia wraps what a body parser throws (our 413) in its ParseError.
  const cause = (f.error as { cause?: unknown } | undefined)?.cause
  if (isAppError(cause)) return cause
  switch (f.code) {
    case 'VALIDATION': {
      const schemas = f.route ? schemasOf(f.request.method, f.route) : undefined
      const url = new URL(f.request.url)
      const issues = schemas
        ? requestIssues(schemas, {
            query: Object.fromEntries(url.searchParams),
            params: f.params ?? {},
            headers: Object.fromEntries(f.request.headers),
            body: f.body,
          })
        : []
      return validationError(issues.length ? issues : [{ loc: ['body'], msg: 'Invalid input', type: 'value_error' }])
    }
    case 'NOT_FOUND':
      return new AppError('route_not_found', `no route for ${f.request.method} ${new URL(f.request.url).pathname}`)
    case 'PARSE':
      return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }])
    default:
      return toAppError(f.error, log, requestId)
  }
}
