/**
 * Request validation with compiled TypeBox schemas, producing the contract's 422 shape
 * (`detail: [{loc, msg, type}]`). Query and path values arrive as strings and are converted by
 * their schema's type; absent values take their defaults; unknown JSON fields are ignored.
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import type { ValidationIssue } from '../../shared/errors'

type Where = 'query' | 'path' | 'body' | 'header'

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
    case ValueErrorType.Literal:
      return { msg: `Input should be '${s.const}'`, type: 'literal_error' }
    default:
      return { msg: e.message, type: 'value_error' }
  }
}

/** For a nullable field holding a non-null value, the error of the non-null variant is the useful one. */
function unwrapNullable(e: ValueError): ValueError[] {
  const variants = (e.schema as { anyOf?: TSchema[] }).anyOf
  if (e.type !== ValueErrorType.Union || !variants || e.value === null) return [e]
  const rest = variants.filter((v) => (v as { type?: string }).type !== 'null')
  if (rest.length !== 1 || rest.length === variants.length) return [e]
  const inner = [...check(rest[0]!).Errors(e.value)].map((x) => ({ ...x, path: e.path + x.path }))
  return inner.length ? inner : [e]
}

function issues(schema: TSchema, value: unknown, where: Where): ValidationIssue[] {
  const out: ValidationIssue[] = []
  const seen = new Set<string>()
  for (const e of [...check(schema).Errors(value)].flatMap(unwrapNullable)) {
    const loc = [where, ...e.path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p))]
    const key = loc.join('\u0000')
    if (seen.has(key)) continue // one issue per location, the first is the most specific
    seen.add(key)
    out.push({ loc, ...describe(e) })
    if (out.length >= 20) break
  }
  return out
}

/** Query or path values: strings converted by the property's declared type. */
function convertStrings(schema: TObject, raw: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, prop] of Object.entries(schema.properties)) {
    const v = raw[name]
    if (v === undefined) continue
    const type = (prop as { type?: string }).type
    if (type === 'integer' && /^-?\d{1,15}$/.test(v)) out[name] = Number(v)
    else if (type === 'number' && v.trim() !== '' && Number.isFinite(Number(v))) out[name] = Number(v)
    else if (type === 'boolean' && (v === 'true' || v === 'false')) out[name] = v === 'true'
    else out[name] = v
  }
  return out
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] }

export function validateStrings<T>(schema: TObject, raw: Record<string, string | undefined>, where: 'query' | 'path'): Validated<T> {
  const value = Value.Default(schema, convertStrings(schema, raw))
  if (check(schema).Check(value)) return { ok: true, value: value as T }
  return { ok: false, issues: issues(schema, value, where) }
}

export function validateBody<T>(schema: TObject, body: unknown): Validated<T> {
  const value = Value.Default(schema, body)
  if (!check(schema).Check(value)) return { ok: false, issues: issues(schema, value, 'body') }
  // Unknown fields are ignored: drop them so they never travel further.
  return { ok: true, value: Value.Clean(schema, structuredClone(value)) as T }
}
