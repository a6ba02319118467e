/**
 * The one error funnel: every failure becomes
 * `{"error": {"code", "message", "request_id", ...}, "detail": <message | [{loc, msg, type}]>}`.
 */
import { AppError, isAppError } from '../../shared/errors'
import type { Logger } from '../../shared/log'

export function errorBody(e: AppError, requestId: string) {
  return {
    error: { code: e.code, message: e.message, request_id: requestId, ...(e.extra ?? {}) },
    detail: e.code === 'validation_error' && e.issues ? e.issues : e.message,
  }
}

export function toAppError(e: unknown, log: Logger, requestId: string): AppError {
  if (isAppError(e)) return e
  log.error({ err: e, request_id: requestId }, 'unhandled error')
  return new AppError('internal_error', 'internal error')
}

export function errorResponse(e: AppError, requestId: string, headers: Headers): Response {
  headers.set('content-type', 'application/json')
  return new Response(JSON.stringify(errorBody(e, requestId)), { status: e.status, headers })
}
