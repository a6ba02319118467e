import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { pgSchema } from 'drizzle-orm/pg-core'
import { freshDatabase, type TestDatabase } from '../tests/support/infra'
import { openDatabase, type Database } from './db/database'
import { AppError } from './errors'
import { canonicalJson, IdempotencyStore, idempotencyTable, requestHash } from './idempotency'

describe('canonical request hash', () => {
  test('key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}')
    expect(requestHash('op', { a: 1, b: 2 })).toBe(requestHash('op', { b: 2, a: 1 }))
    expect(requestHash('op', { a: 1 })).not.toBe(requestHash('op', { a: 2 }))
    expect(requestHash('op', { a: 1 })).not.toBe(requestHash('other', { a: 1 }))
    // an absent field and an undefined one are the same request
    expect(requestHash('op', { a: 1, b: undefined })).toBe(requestHash('op', { a: 1 }))
  })
})

describe('IdempotencyStore on PostgreSQL', () => {
  let tdb: TestDatabase
  let database: Database
  const table = idempotencyTable(pgSchema('idem_test'))
  beforeAll(async () => {
    tdb = await freshDatabase()
    database = await openDatabase({ url: tdb.url, dataDir: tdb.dataDir })
    await database.rows(sql`create schema idem_test`)
    await database.rows(sql`create table idem_test.idempotency_keys (
      tenant_id text not null, key text not null, operation text not null, request_hash text not null,
      state text not null, response text, created_at timestamptz not null default now(), primary key (tenant_id, key))`)
  })
  afterAll(async () => {
    await database?.close()
    await tdb?.drop()
  })

  const counter = () => {
    let n = 0
    return { work: async () => ({ n: ++n }), get count() { return n } }
  }

  test('no key: the work simply runs each time', async () => {
    const store = new IdempotencyStore(database.db, table)
    const c = counter()
    await store.run({ tenantId: 't', operation: 'op', request: {} }, c.work)
    await store.run({ tenantId: 't', operation: 'op', request: {} }, c.work)
    expect(c.count).toBe(2)
  })

  test('same key and request: one run, the first answer every time, also for concurrent twins', async () => {
    const store = new IdempotencyStore(database.db, table)
    let runs = 0
    const slow = async () => {
      runs++
      await Bun.sleep(100)
      return { id: `r${runs}` }
    }
    const answers = await Promise.all(Array.from({ length: 4 }, () => store.run({ tenantId: 't', key: 'k1', operation: 'op', request: { a: 1 } }, slow)))
    expect(runs).toBe(1)
    expect(answers).toEqual([{ id: 'r1' }, { id: 'r1' }, { id: 'r1' }, { id: 'r1' }])
    expect(await store.run({ tenantId: 't', key: 'k1', operation: 'op', request: { a: 1 } }, slow)).toEqual({ id: 'r1' })
    expect(runs).toBe(1)
  })

  test('same key, other request or operation: 422 idempotency_key_reused; other tenant: independent', async () => {
    const store = new IdempotencyStore(database.db, table)
    const c = counter()
    await store.run({ tenantId: 't', key: 'k2', operation: 'op', request: { a: 1 } }, c.work)
    await expect(store.run({ tenantId: 't', key: 'k2', operation: 'op', request: { a: 2 } }, c.work)).rejects.toMatchObject({ code: 'idempotency_key_reused', status: 422 })
    await expect(store.run({ tenantId: 't', key: 'k2', operation: 'op2', request: { a: 1 } }, c.work)).rejects.toMatchObject({ code: 'idempotency_key_reused' })
    expect(await store.run({ tenantId: 'u', key: 'k2', operation: 'op', request: { a: 2 } }, c.work)).toEqual({ n: 2 })
  })

  test('a 4xx is stored and replayed; a 5xx or crash is not, so a retry runs again', async () => {
    const store = new IdempotencyStore(database.db, table)
    let runs = 0
    const conflict = async () => {
      runs++
      throw new AppError('masked_number_busy', 'busy', { extra: { hint: 1 } })
    }
    await expect(store.run({ tenantId: 't', key: 'k3', operation: 'op', request: {} }, conflict)).rejects.toMatchObject({ code: 'masked_number_busy' })
    const replayed = await store.run({ tenantId: 't', key: 'k3', operation: 'op', request: {} }, async () => 'ran').catch((e) => e)
    expect(replayed).toBeInstanceOf(AppError)
    expect(replayed).toMatchObject({ code: 'masked_number_busy', status: 409, extra: { hint: 1 } })
    expect(runs).toBe(1)

    await expect(store.run({ tenantId: 't', key: 'k4', operation: 'op', request: {} }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await store.run({ tenantId: 't', key: 'k4', operation: 'op', request: {} }, async () => 'second')).toBe('second')
  })

  test('an abandoned pending record is taken over after the lock timeout; a twin waits, then gets 409', async () => {
    const store = new IdempotencyStore(database.db, table, { lockTimeoutMs: 200, waitMs: 100 })
    await database.rows(sql`insert into idem_test.idempotency_keys (tenant_id, key, operation, request_hash, state) values ('t', 'k5', 'op', ${requestHash('op', {})}, 'pending')`)
    await expect(store.run({ tenantId: 't', key: 'k5', operation: 'op', request: {} }, async () => 'x')).rejects.toMatchObject({ code: 'idempotency_key_in_use', status: 409 })
    await Bun.sleep(220)
    expect(await store.run({ tenantId: 't', key: 'k5', operation: 'op', request: {} }, async () => 'taken over')).toBe('taken over')
  })

  test('after the window the key is new again; purge removes old records', async () => {
    const store = new IdempotencyStore(database.db, table, { windowMs: 60_000 })
    await store.run({ tenantId: 't', key: 'k6', operation: 'op', request: { a: 1 } }, async () => 'first')
    await database.rows(sql`update idem_test.idempotency_keys set created_at = now() - interval '2 minutes' where key = 'k6'`)
    expect(await store.run({ tenantId: 't', key: 'k6', operation: 'op', request: { a: 2 } }, async () => 'fresh')).toBe('fresh')
    await database.rows(sql`update idem_test.idempotency_keys set created_at = now() - interval '2 minutes' where key in ('k1', 'k2')`)
    expect(await store.purge()).toBe(3)
    const [left] = await database.rows<{ n: number }>(sql`select count(*)::int as n from idem_test.idempotency_keys where key in ('k1', 'k2')`)
    expect(left!.n).toBe(0)
  })
})
