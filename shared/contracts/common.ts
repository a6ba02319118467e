/** Schemas shared by several subjects and by the HTTP layer. */
import { FormatRegistry, Type as T, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox'

// Elysia registers 'date-time' when it loads; a bus peer without Elysia (a test, a worker) must
// validate timestamps too, or every event carrying one is dropped as malformed.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v)))
}

export const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])

export const Timestamp = T.String({ format: 'date-time', description: 'RFC 3339 UTC' })
export const NullableTimestamp = Nullable(Timestamp)

/** A union of string literals from one list of values, its static type kept (for Elysia's inference too). */
export function literals<const V extends readonly [string, ...string[]]>(values: V): TUnion<{ -readonly [K in keyof V]: TLiteral<V[K]> }> {
  return T.Union(values.map((v) => T.Literal(v))) as never
}

/** The paging bounds of every list, on the bus and over HTTP: `limit` 1–500 (50 when absent), `offset` from 0. */
export const PAGE_LIMIT = { minimum: 1, maximum: 500, default: 50 } as const

export const Page = T.Object({
  limit: T.Integer({ minimum: PAGE_LIMIT.minimum, maximum: PAGE_LIMIT.maximum }),
  offset: T.Integer({ minimum: 0 }),
})
export type Page = Static<typeof Page>

/** The same bounds as HTTP query parameters: defaults filled by the gateway, titled for the OpenAPI document. */
export const PageParams = {
  limit: T.Integer({ ...PAGE_LIMIT, title: 'Limit' }),
  offset: T.Integer({ minimum: 0, default: 0, title: 'Offset' }),
}

export const listOf = <S extends TSchema>(item: S) =>
  T.Object({ items: T.Array(item), limit: T.Integer(), offset: T.Integer(), total: T.Integer() })

/** Lists that page by cursor too (shared/list-page.ts): `total` is bounded, `next_cursor` resumes after the page. */
export const cursorListOf = <S extends TSchema>(item: S) =>
  T.Object({
    items: T.Array(item),
    limit: T.Integer(),
    offset: T.Integer(),
    total: T.Integer(),
    total_relation: T.Union([T.Literal('eq'), T.Literal('gte')]),
    next_cursor: T.Union([T.String(), T.Null()]),
  })

/** The `cursor` query parameter: opaque, the `next_cursor` of a previous page. */
export const Cursor = T.String({
  minLength: 1,
  maxLength: 200,
  title: 'Cursor',
  description: 'The `next_cursor` of the previous page: the page after it, at a cost that does not grow with depth (use instead of `offset`).',
})

export const Empty = T.Object({})

export const Ping = T.Object({ service: T.String(), version: T.String() })

export const SCOPES = ['sessions:read', 'sessions:write', 'calls:read', 'calls:write', 'dids:read', 'keys:manage', 'recordings:read', 'recordings:write', 'privacy:write'] as const
export type Scope = (typeof SCOPES)[number]
// Spelled out (not SCOPES.map) so the union's static type survives Elysia's inference.
export const ScopeSchema = T.Union([T.Literal('sessions:read'), T.Literal('sessions:write'), T.Literal('calls:read'), T.Literal('calls:write'), T.Literal('dids:read'), T.Literal('keys:manage'), T.Literal('recordings:read'), T.Literal('recordings:write'), T.Literal('privacy:write')])

/** A prompt by reference: `builtin:<name>` (shared/prompts/builtin.ts) or a tenant prompt's id (`prm_…`). */
export const PromptRef = T.String({
  pattern: '^(builtin:[a-z_]{1,40}|prm_[0-9A-Z]{26})$',
  maxLength: 48,
  title: 'Prompt',
  description: 'A built-in prompt (`builtin:connecting`, …) or one of your prompts by id (`prm_…`)',
})
