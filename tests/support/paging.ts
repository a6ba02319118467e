/** Walks a list by `next_cursor` (and by `offset`), for the list tests of sessions and calls. */
import type { Client } from './http'

export interface Walk {
  ids: string[]
  pages: number
  totals: number[]
}

/** Every page of `path` (query string included) by cursor, `limit` per page. */
export async function walkByCursor(http: Client, key: string, path: string, limit: number): Promise<Walk> {
  const sep = path.includes('?') ? '&' : '?'
  const out: Walk = { ids: [], pages: 0, totals: [] }
  let cursor: string | null = null
  do {
    const r: { status: number; text: string; body: any } = await http.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key })
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`)
    out.pages++
    out.totals.push(r.body.total)
    out.ids.push(...r.body.items.map((i: { id: string }) => i.id))
    if (r.body.next_cursor !== null && r.body.items.length !== limit) throw new Error('a next_cursor after a partial page')
    cursor = r.body.next_cursor
    if (out.pages > 1000) throw new Error('cursor walk does not end')
  } while (cursor)
  return out
}

/** The whole list by offset, 500 per page. */
export async function walkByOffset(http: Client, key: string, path: string): Promise<string[]> {
  const sep = path.includes('?') ? '&' : '?'
  const ids: string[] = []
  for (let offset = 0; ; offset += 500) {
    const r = await http.get(`${path}${sep}limit=500&offset=${offset}`, { key })
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`)
    ids.push(...r.body.items.map((i: { id: string }) => i.id))
    if (r.body.items.length < 500) return ids
  }
}
