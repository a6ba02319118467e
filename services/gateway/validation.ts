/**
 * The contract's 422 shape (`detail: [{loc, msg, type}]`, pydantic's vocabulary) for a failed
 * Elysia validation. Elysia stops at the first failing part and coerces query and path strings
 * into unions; on failure the error funnel re-checks every part of the request against the
 * route's declared schemas with this module, so the client gets every issue at once, each named
 * by its field. An unknown field (`extra_forbidden`) names the field probably meant.
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import type { ValidationIssue } from '../../shared/errors'

export type Where = 'query' | 'path' | 'body' | 'header'

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()
function check(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema)
  if (!c) compiled.set(schema, (c = TypeCompiler.Compile(schema)))
  return c
}

const literalsOf = (s: TSchema): unknown[] | undefined => {
  const variants = (s as { anyOf?: TSchema[] }).anyOf
  if (!variants) return undefined
  const lits = variants.map((v) => (v as { const?: unknown }).const)
  return lits.every((l) => l !== undefined) ? lits : undefined
}

function describe(e: ValueError): { msg: string; type: string } {
  const s = e.schema as Record<string, unknown>
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { msg: 'Field required', type: 'missing' }
    case ValueErrorType.Integer:
      return { msg: 'Input should be a valid integer', type: 'int_parsing' }
    case ValueErrorType.Number:
      return { msg: 'Input should be a valid number', type: 'float_parsing' }
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return { msg: `Input should be greater than or equal to ${s.minimum}`, type: 'greater_than_equal' }
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return { msg: `Input should be less than or equal to ${s.maximum}`, type: 'less_than_equal' }
    case ValueErrorType.String:
      return { msg: 'Input should be a valid string', type: 'string_type' }
    case ValueErrorType.StringMinLength:
      return { msg: `String should have at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`, type: 'string_too_short' }
    case ValueErrorType.StringMaxLength:
      return { msg: `String should have at most ${s.maxLength} characters`, type: 'string_too_long' }
    case ValueErrorType.StringPattern:
    case ValueErrorType.StringFormat:
      return { msg: (s.description as string) ?? `String should match pattern '${s.pattern ?? s.format}'`, type: 'string_pattern_mismatch' }
    case ValueErrorType.Boolean:
      return { msg: 'Input should be a valid boolean', type: 'bool_type' }
    case ValueErrorType.Array:
      return { msg: 'Input should be a valid list', type: 'list_type' }
    case ValueErrorType.ArrayMinItems:
      return { msg: `List should have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`, type: 'too_short' }
    case ValueErrorType.ArrayMaxItems:
      return { msg: `List should have at most ${s.maxItems} items`, type: 'too_long' }
    case ValueErrorType.ArrayUniqueItems:
      return { msg: 'List items should be unique', type: 'unique_items' }
    case ValueErrorType.Object:
      return { msg: 'Input should be a valid object', type: 'model_type' }
    case ValueErrorType.Union: {
      const lits = literalsOf(e.schema)
      if (lits) return { msg: `Input should be ${lits.map((l) => `'${l}'`).join(', ')}`, type: 'enum' }
      const types = ((e.schema as { anyOf?: { type?: string }[] }).anyOf ?? []).map((v) => v.type).filter(Boolean)
      return { msg: `Input should be ${types.join(' or ') || 'valid'}`, type: types.length ? `${types[0]}_type` : 'value_error' }
    }
    case ValueErrorType.ObjectAdditionalProperties:
      return { msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }
    case ValueErrorType.Kind:
      if (Array.isArray(s.enum)) return { msg: `Input should be ${s.enum.map((l) => `'${l}'`).join(', ')}`, type: 'enum' }
      return { msg: e.message, type: 'value_error' }
    case ValueErrorType.Literal:
      return { msg: `Input should be '${s.const}'`, type: 'literal_error' }
    default:
      return { msg: e.message, type: 'value_error' }
  }
}

/** For a union holding a value of one variant's type (a nullable field's non-null value), that variant's error is the useful one. */
function unwrapUnion(e: ValueError): ValueError[] {
  const variants = (e.schema as { anyOf?: TSchema[] }).anyOf
  if (e.type !== ValueErrorType.Union || !variants || e.value === null) return [e]
  const rest = variants.filter((v) => (v as { type?: string }).type !== 'null' && (v as { const?: unknown }).const === undefined)
  if (rest.length !== 1) return [e]
  const inner = [...check(rest[0]!).Errors(e.value)].map((x) => ({ ...x, path: e.path + x.path }))
  return inner.length ? inner.flatMap(unwrapUnion) : [e]
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

/** The declared field an unknown one probably meant: a close spelling, or one it is a prefix or stem of. */
export function closestField(unknown: string, known: string[]): string | undefined {
  const u = unknown.toLowerCase()
  let best: { name: string; d: number } | undefined
  for (const name of known) {
    const n = name.toLowerCase()
    const prefix = Math.min(u.length, n.length) >= 3 && (n.startsWith(u) || u.startsWith(n))
    const d = prefix ? 1 : distance(u, n)
    if (d <= Math.max(2, Math.floor(n.length / 3)) && (!best || d < best.d)) best = { name, d }
  }
  return best?.name
}

/** An unknown property (TypeBox's error sits at its path, with the object's schema). */
function extraIssue(e: ValueError, loc: (string | number)[]): ValidationIssue {
  const meant = closestField(String(loc[loc.length - 1]), Object.keys((e.schema as TObject).properties ?? {}))
  return { loc, msg: meant ? `Extra inputs are not permitted; did you mean '${meant}'?` : 'Extra inputs are not permitted', type: 'extra_forbidden' }
}

export function issuesOf(schema: TSchema, value: unknown, where: Where): ValidationIssue[] {
  const out: ValidationIssue[] = []
  const seen = new Set<string>()
  const push = (i: ValidationIssue) => {
    const key = i.loc.join('\u0000')
    if (seen.has(key)) return // one issue per location, the first is the most specific
    seen.add(key)
    out.push(i)
  }
  for (const e of [...check(schema).Errors(value)].flatMap(unwrapUnion)) {
    const loc = [where, ...e.path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')))]
    push(e.type === ValueErrorType.ObjectAdditionalProperties ? extraIssue(e, loc) : { loc, ...describe(e) })
    if (out.length >= 20) break
  }
  return out
}

/**
 * Query or path values: strings converted by the property's declared type (Elysia coerces only
 * its own `t.Integer`, whose union would show in the document as `string | integer`).
 */
export function coerceStrings(schema: TObject, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, prop] of Object.entries(schema.properties)) {
    const v = raw[name]
    if (typeof v !== 'string') {
      if (v !== undefined) out[name] = v
      continue
    }
    const type = (prop as { type?: string }).type
    if (type === 'integer' && /^-?\d{1,15}$/.test(v)) out[name] = Number(v)
    else if (type === 'number' && v.trim() !== '' && Number.isFinite(Number(v))) out[name] = Number(v)
    else if (type === 'boolean' && (v === 'true' || v === 'false')) out[name] = v === 'true'
    else out[name] = v
  }
  return out
}

/** Converted, with defaults filled (as Elysia fills them before it validates). */
export const convertStrings = (schema: TObject, raw: Record<string, unknown>) => Value.Default(schema, coerceStrings(schema, raw)) as Record<string, unknown>

/** The route's declared schemas, as Elysia keeps them (before its coercion). */
export interface RouteSchemas {
  query?: TObject
  params?: TObject
  headers?: TObject
  body?: TSchema
}

/** Every issue of a request against its route's schemas (empty when Elysia and we disagree). */
export function requestIssues(s: RouteSchemas, input: { query: Record<string, unknown>; params: Record<string, unknown>; headers: Record<string, unknown>; body: unknown }): ValidationIssue[] {
  return [
    ...(s.params ? issuesOf(s.params, convertStrings(s.params, input.params), 'path') : []),
    ...(s.query ? issuesOf(s.query, convertStrings(s.query, input.query), 'query') : []),
    ...(s.headers ? issuesOf(s.headers, input.headers, 'header') : []),
    ...(s.body ? issuesOf(s.body, input.body, 'body') : []),
  ].slice(0, 20)
}
