/**
 * Query schemas as the openapi plugin should document them. Elysia fills a parameter's default
 * before it validates, so a defaulted parameter is optional to the client while the handler sees
 * it always: the plugin reads `required`, so it must not list them. And the plugin rewrites a
 * union of literals as a bare `enum`, dropping its default and title, so a choice is a string
 * `enum` of its own kind (checked through TypeBox's registry) that the plugin leaves as it is.
 */
import { Kind, Type as T, TypeRegistry, type TObject, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox'

export function query<P extends TProperties>(props: P): TObject<P> {
  const schema = T.Object(props)
  const required = ((schema.required ?? []) as string[]).filter((k) => (props[k] as TSchema).default === undefined)
  return { ...schema, required: required.length ? required : undefined } as unknown as TObject<P>
}

if (!TypeRegistry.Has('Choice')) TypeRegistry.Set<{ enum: unknown[] }>('Choice', (schema, value) => schema.enum.includes(value))

/** One of `values` (a string enum), with its default, as OpenAPI spells it. */
export function choice<const V extends readonly [string, ...string[]]>(values: V, options: { default: V[number]; title: string; description?: string }): TUnsafe<V[number]> {
  return T.Unsafe<V[number]>({ [Kind]: 'Choice', type: 'string', enum: [...values], ...options })
}
