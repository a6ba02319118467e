/**
 * What Elysia's validation does not cover, applied to every route before it: the body size limit
 * (64 KiB), JSON decoding (after access is checked), a nesting limit (deeply nested JSON would
 * overflow the validator's stack) and no NUL (U+0000) in any string, key, path or query value
 * (PostgreSQL text cannot hold one). Each problem is a 422 naming the field, all of them at once.
 */
import { AppError, validationError, type ValidationIssue } from '../../shared/errors'

export const MAX_BODY_BYTES = 64 * 1024
/** Deeper than any body the API accepts (the deepest is 3), far below a stack overflow. */
export const MAX_DEPTH = 32
const MAX_ISSUES = 20

const tooLarge = () => new AppError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`)

/** The body as received, decoded as JSON only once access is granted. */
export class RawBody {
  constructor(readonly text: string) {}
}

/**
 * A raw upload (`audio/wav` and the like), read up to MAX_UPLOAD_BYTES; `overLimit` when there was
 * more (not read further). Only routes that take one accept it (`uploadOf`); elsewhere it is a 415.
 */
export class RawBytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly overLimit: false | string,
  ) {}
}

/** The largest upload any route takes (prompt WAVs). */
export const MAX_UPLOAD_BYTES = 512 * 1024
export const UPLOAD_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'application/octet-stream']

async function readBytes(request: Request): Promise<RawBytes> {
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > MAX_UPLOAD_BYTES) return new RawBytes(new Uint8Array(), String(declared))
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = request.body?.getReader()
  for (;;) {
    const r = await reader?.read()
    if (!r || r.done) break
    total += r.value.byteLength
    if (total > MAX_UPLOAD_BYTES) {
      await reader!.cancel().catch(() => {})
      return new RawBytes(new Uint8Array(), `more than ${MAX_UPLOAD_BYTES}`)
    }
    chunks.push(r.value)
  }
  return new RawBytes(Buffer.concat(chunks), false)
}

/** The upload of a route that takes one: its bytes, or a 422 naming the size (after access was checked), or 415 for anything else. */
export function uploadOf(body: unknown, maxBytes: number): Uint8Array {
  if (!(body instanceof RawBytes)) throw new AppError('unsupported_media_type', `send the file as the body with Content-Type: ${UPLOAD_TYPES[0]}`)
  const size = body.overLimit || (body.bytes.length > maxBytes ? String(body.bytes.length) : false)
  if (size) throw validationError([{ loc: ['body', 'size'], msg: `the file is ${size} bytes; at most ${maxBytes} bytes are accepted`, type: 'prompt_size' }])
  return body.bytes
}

/**
 * Elysia `onParse` hook: read at most 64 KiB, streaming, and stop there. Bun's own body limit is
 * set far above this (service.ts) because Bun answers it with an empty 413 of its own; ours has
 * the documented shape and never holds more than 64 KiB of a body. An upload (RawBytes) is read
 * the same way up to MAX_UPLOAD_BYTES.
 */
export async function readBody({ request }: { request: Request }): Promise<RawBody | RawBytes> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (UPLOAD_TYPES.includes(type)) return readBytes(request)
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge()
  if (!request.body) return new RawBody('')
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      void reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return new RawBody(chunks.length === 1 ? Buffer.from(chunks[0]!).toString('utf8') : Buffer.concat(chunks).toString('utf8'))
}

/** Beyond any header an API client sends; Bun's own limit is raised above it where we start Bun. */
export const MAX_HEADER_BYTES = 8 * 1024

/** `onRequest`: oversize headers get a 431 in the documented shape (Bun's own 431 has no body). */
export function checkHeaderSize(request: Request): void {
  let size = request.url.length
  for (const [k, v] of request.headers) size += k.length + v.length + 4
  if (size > MAX_HEADER_BYTES) throw new AppError('request_header_fields_too_large', `request headers are larger than ${MAX_HEADER_BYTES} bytes`)
}

function decode(raw: RawBody, contentType: string | null): unknown {
  if (raw.text.trim() === '') return {}
  try {
    return JSON.parse(raw.text)
  } catch {
    if (contentType && !/json/i.test(contentType)) throw new AppError('unsupported_media_type', 'send the body as JSON (Content-Type: application/json)')
    throw validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }])
  }
}

const NUL_MSG = 'String should not contain a NUL (U+0000) character'

/** Walks a decoded body: NUL in strings or keys, and nesting past MAX_DEPTH. */
function walk(value: unknown, loc: (string | number)[], issues: ValidationIssue[]): void {
  if (issues.length >= MAX_ISSUES) return
  if (typeof value === 'string') {
    if (value.includes('\u0000')) issues.push({ loc, msg: NUL_MSG, type: 'string_nul' })
    return
  }
  if (value === null || typeof value !== 'object') return
  if (loc.length > MAX_DEPTH) {
    issues.push({ loc, msg: `Input should not nest deeper than ${MAX_DEPTH} levels`, type: 'too_deep' })
    return
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i], [...loc, i], issues)
    return
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) issues.push({ loc: [...loc, k], msg: 'Field names should not contain a NUL (U+0000) character', type: 'string_nul' })
    else walk(v, [...loc, k], issues)
  }
}

function strings(values: Record<string, unknown> | undefined, where: 'path' | 'query', issues: ValidationIssue[]): void {
  for (const [k, v] of Object.entries(values ?? {})) {
    if (k.includes('\u0000') || (typeof v === 'string' ? v.includes('\u0000') : Array.isArray(v) && v.some((x) => String(x).includes('\u0000')))) {
      issues.push({ loc: [where, k], msg: NUL_MSG, type: 'string_nul' })
    }
  }
}

interface GuardedContext {
  body: unknown
  params: Record<string, string>
  query: Record<string, unknown>
  request: Request
  route?: string
}

/** The routes that take an upload (RawBytes) as their body. */
export const UPLOAD_ROUTES = new Set(['POST /v1/prompts'])

/** Decodes the body in place and refuses NUL and over-deep input (throws a 422). */
export function guardInput(c: GuardedContext): void {
  const issues: ValidationIssue[] = []
  if (c.body instanceof RawBody) {
    c.body = decode(c.body, c.request.headers.get('content-type'))
    walk(c.body, ['body'], issues)
  } else if (c.body instanceof RawBytes) {
    if (!UPLOAD_ROUTES.has(`${c.request.method} ${c.route}`)) throw new AppError('unsupported_media_type', 'send the body as JSON (Content-Type: application/json)')
  } else if (Number(c.request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) {
    throw tooLarge()
  }
  strings(c.params, 'path', issues)
  strings(c.query, 'query', issues)
  if (issues.length) throw validationError(issues)
}
