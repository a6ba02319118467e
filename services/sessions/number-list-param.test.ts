/**
 * The allocator's "which of these numbers are free?" and "when was each last used?" statements
 * (issue 15, bench/RESULTS-scale.md part B): the list of numbers travels as one text[] parameter,
 * so a 4,096-number chunk is the same statement as a 16-number one (one prepared statement, no
 * 4,096-part query to build: that was most of a create's CPU on a nearly full pool). The literal
 * round-trips through a real database, quotes and backslashes included.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PgDialect } from 'drizzle-orm/pg-core'
import { sql, type SQL } from 'drizzle-orm'
import { openDatabase, type Database } from '../../shared/db/database'
import { freshDatabase, type TestDatabase } from '../../tests/support/infra'
import { SessionStore, textArray } from './session-store'

/** The statements a store sends, as text and parameters, without a database. */
function capturing() {
  const sent: { text: string; params: unknown[] }[] = []
  const dialect = new PgDialect()
  const database = {
    kind: 'postgres',
    async rows(q: SQL) {
      const { sql: text, params } = dialect.sqlToQuery(q)
      sent.push({ text, params })
      return []
    },
  } as unknown as Database
  return { sent, store: new SessionStore(database) }
}

const numbers = (count: number) => Array.from({ length: count }, (_, i) => `+1202${2_000_000 + i}`)

describe('number lists as one parameter', () => {
  test('freeAmong on 16 and on 4,096 numbers: the same statement text, the same few parameters', async () => {
    const { sent, store } = capturing()
    const ask = (candidates: string[]) => store.freeAmong({ tenantId: 'ten_a', candidates, guard: 'whole', phones: ['+14155550001', '+14155550002'], now: new Date(), limit: candidates.length })
    await ask(numbers(16))
    await ask(numbers(4096))
    expect(sent[1]!.text).toBe(sent[0]!.text)
    expect(sent[1]!.params.length).toBe(sent[0]!.params.length)
    expect(sent[1]!.params.length).toBeLessThan(12)
  })

  test('lastUsed on 5,000 numbers sends one parameter', async () => {
    const { sent, store } = capturing()
    await store.lastUsed(numbers(5000))
    expect(sent[0]!.params.length).toBe(1)
  })

  describe('on a real database', () => {
    let tdb: TestDatabase
    let db: Database
    beforeAll(async () => {
      tdb = await freshDatabase()
      db = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
    })
    afterAll(async () => {
      await db?.close()
      await tdb?.drop()
    })

    test('the literal round-trips every element in order, quotes, backslashes, commas and braces included', async () => {
      const values = ['+12022000000', 'a"b', 'c\\d', 'e,f', '{g}', ' h ', '', 'NULL']
      const rows = await db.rows<{ v: string; ord: number }>(sql`select v, ord::int from unnest(${textArray(values)}) with ordinality as c(v, ord) order by ord`)
      expect(rows.map((r) => r.v)).toEqual(values)
    })
  })
})
