/**
 * Pages of the big lists (sessions, calls): the contract's `limit`/`offset`, plus an opaque
 * `cursor` that resumes after the last item of a page. Items are newest first by their
 * time-sortable id, so a cursor is "ids below this one": an index range, whose cost does not
 * depend on how deep the page is (an offset makes the database walk and drop every row before it).
 *
 * `total` is counted up to TOTAL_CAP rows and no further, so the first page of a tenant with
 * millions of rows costs what it costs with ten thousand; beyond the cap the reply says
 * `total_relation: "gte"` (as Elasticsearch's `track_total_hits` does). ADR 0009.
 */
import { validationError } from './errors'

export const TOTAL_CAP = 10_000

const VERSION = 'v1'

/** The cursor of the page after the one ending with `lastId`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`${VERSION}:${lastId}`).toString('base64url')
}

/** The id a cursor resumes after; a cursor that is not one of ours (or of another list) is a 422 on `cursor`. */
export function decodeCursor(cursor: string, idPrefix: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : ''
  const [version, id] = text.split(/:(.*)/s)
  if (version !== VERSION || !id || !id.startsWith(idPrefix) || !/^[A-Za-z0-9_]+$/.test(id)) {
    throw validationError([{ loc: ['query', 'cursor'], msg: 'not a cursor of this list: pass the `next_cursor` of a previous page unchanged', type: 'value_error' }])
  }
  return id
}

export interface PageQuery {
  limit: number
  offset: number
  cursor?: string
}

/** A cursor already says where the page starts: an offset on top of it is refused, not guessed at. */
export function checkPageQuery(q: PageQuery): void {
  if (q.cursor !== undefined && q.offset !== 0) {
    throw validationError([{ loc: ['query', 'offset'], msg: 'use either `cursor` or `offset`, not both', type: 'value_error' }])
  }
}

export interface ListReply<T> {
  items: T[]
  limit: number
  offset: number
  total: number
  total_relation: 'eq' | 'gte'
  next_cursor: string | null
}

/**
 * The reply for `rows` fetched with `limit + 1` (the extra row only tells whether a next page
 * exists) and `counted` from a count bounded at TOTAL_CAP + 1.
 */
export function listReply<R extends { id: string }, T>(rows: R[], q: PageQuery, counted: number, toItem: (r: R) => T): ListReply<T> {
  const page = rows.slice(0, q.limit)
  const more = rows.length > q.limit
  return {
    items: page.map(toItem),
    limit: q.limit,
    offset: q.offset,
    total: Math.min(counted, TOTAL_CAP),
    total_relation: counted > TOTAL_CAP ? 'gte' : 'eq',
    next_cursor: more ? encodeCursor(page[page.length - 1]!.id) : null,
  }
}

/**
 * What needs counting: a first page (offset 0, no cursor) that is not full already tells its
 * total, so the count query is skipped; otherwise undefined means "count".
 */
export function knownTotal(rowsFetched: number, q: PageQuery): number | undefined {
  return q.offset === 0 && q.cursor === undefined && rowsFetched <= q.limit ? rowsFetched : undefined
}
