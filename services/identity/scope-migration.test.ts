/**
 * Migration 0006 gives `privacy:write` to the keys that held every scope before it existed (they
 * were "all scopes" keys), so a tenant can still erase and mint privacy keys; narrower keys stay
 * as they were. Run on a database migrated to 0005, then to 0006 (real PostgreSQL where reachable).
 */
import { afterAll, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../shared/db/database'
import { freshDatabase } from '../../tests/support/infra'

const FOLDER = join(import.meta.dir, 'db/migrations')
const before = mkdtempSync(join(tmpdir(), 'identity-0005-'))
afterAll(() => rmSync(before, { recursive: true, force: true }))

test('keys that held every scope get privacy:write; narrower keys do not', async () => {
  cpSync(FOLDER, before, { recursive: true })
  const journalPath = join(before, 'meta/_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] }
  journal.entries = journal.entries.filter((e) => e.tag < '0006')
  writeFileSync(journalPath, JSON.stringify(journal))
  const target = await freshDatabase()
  const db = await openDatabase(target)
  try {
    await db.migrate('identity', before)
    const all = ['sessions:read', 'sessions:write', 'calls:read', 'calls:write', 'dids:read', 'keys:manage', 'recordings:read', 'recordings:write']
    await db.rows(sql`insert into identity.tenants (id, name, webhook_secret) values ('ten_m', 'm', 'x')`)
    const key = (id: string, scopes: string[]) =>
      db.rows(sql`insert into identity.api_keys (id, tenant_id, key_hash, key_prefix, scopes) values (${id}, 'ten_m', ${id}, ${id}, ${`{${scopes.join(',')}}`}::text[])`)
    await key('key_full', all)
    await key('key_narrow', ['sessions:read', 'calls:read'])
    await db.migrate('identity', FOLDER)
    const rows = await db.rows<{ id: string; scopes: string[] | string }>(sql`select id, scopes from identity.api_keys order by id`)
    const scopes = Object.fromEntries(rows.map((r) => [r.id, Array.isArray(r.scopes) ? r.scopes : String(r.scopes).replace(/[{}]/g, '').split(',')]))
    expect(scopes.key_full).toEqual([...all, 'privacy:write'])
    expect(scopes.key_narrow).toEqual(['sessions:read', 'calls:read'])
    const [t] = await db.rows<{ days: number }>(sql`select phone_retention_days as days from identity.tenants`)
    expect(Number(t!.days)).toBe(90)
  } finally {
    await db.close()
    await target.drop()
  }
}, 90_000) // PGlite's start is slow on a busy machine (the embedded fallback)
