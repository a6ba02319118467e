/**
 * Tenant prompts (upload, list, delete) and the one way a call finds any prompt's file:
 * `resolve(tenantId, ref)` turns `builtin:<name>` or a tenant's `prm_…` into a WAV on disk that
 * rtpengine can play, with its duration (rtpengine reports none at the end of playback).
 *
 * Deletion never pulls a file from under a live call: a deleted prompt is only marked, so no new
 * call resolves it, while a call that already did keeps playing its file; `purge` drops the audio
 * and the cached files once no live call can be using them any more (older than the longest call).
 */
import { and, desc, eq, isNull, lte, count, isNotNull } from 'drizzle-orm'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Prompt } from '../../../shared/contracts/calls'
import type { Db } from '../../../shared/db/database'
import { AppError, validationError } from '../../../shared/errors'
import { newId } from '../../../shared/ids'
import { BUILTIN_PROMPT_NAMES, type BuiltinPromptName, type PromptFile } from '../../../shared/prompts/builtin'
import { checkPromptWav, PROMPT_MAX_BYTES } from '../../../shared/prompts/wav'
import { prompts } from '../db/schema'

type PromptRow = typeof prompts.$inferSelect

export interface ResolvedPrompt {
  path: string
  durationMs: number
}

function toPrompt(r: PromptRow): Prompt {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    name: r.name,
    encoding: r.encoding,
    sample_rate: r.sampleRate,
    duration_ms: r.durationMs,
    size_bytes: r.sizeBytes,
    created_at: r.createdAt.toISOString(),
  }
}

export class PromptStore {
  constructor(
    private readonly db: Db,
    /** Where tenant prompts are written for rtpengine (`<dir>/tenant/<id>.wav`). */
    private readonly dir: string,
    private readonly builtin: Map<BuiltinPromptName, PromptFile>,
  ) {}

  /** Validates and stores an upload; 422 names every problem (format, sample size, rate, channels, size, duration). */
  async create(tenantId: string, name: string, bytes: Uint8Array): Promise<Prompt> {
    const c = checkPromptWav(bytes, { maxBytes: PROMPT_MAX_BYTES })
    if (!c.ok) throw validationError(c.problems.map((p) => ({ loc: ['body', p.field], msg: p.msg, type: `prompt_${p.field}` })))
    const [row] = await this.db
      .insert(prompts)
      .values({
        id: newId('prm'),
        tenantId,
        name,
        encoding: c.info.encoding,
        sampleRate: c.info.sampleRate,
        durationMs: c.info.durationMs,
        sizeBytes: bytes.length,
        audioBase64: Buffer.from(bytes).toString('base64'),
      })
      .returning()
    return toPrompt(row!)
  }

  async list(tenantId: string, page: { limit: number; offset: number }) {
    const where = and(eq(prompts.tenantId, tenantId), isNull(prompts.deletedAt))
    const [rows, [total]] = await Promise.all([
      this.db.select().from(prompts).where(where).orderBy(desc(prompts.id)).limit(page.limit).offset(page.offset),
      this.db.select({ n: count() }).from(prompts).where(where),
    ])
    return { items: rows.map(toPrompt), limit: page.limit, offset: page.offset, total: Number(total?.n ?? 0) }
  }

  async get(tenantId: string, id: string): Promise<Prompt> {
    return toPrompt(await this.live(tenantId, id))
  }

  /** Marks the prompt deleted: gone for new calls and lists at once; live calls keep their file. */
  async delete(tenantId: string, id: string): Promise<{ id: string; deleted: true }> {
    const [r] = await this.db
      .update(prompts)
      .set({ deletedAt: new Date() })
      .where(and(eq(prompts.id, id), eq(prompts.tenantId, tenantId), isNull(prompts.deletedAt)))
      .returning({ id: prompts.id })
    if (!r) throw new AppError('prompt_not_found', `prompt ${id} not found`)
    return { id, deleted: true }
  }

  /** The file and duration of a prompt for a new call; a tenant's deleted or foreign prompt is 404. */
  async resolve(tenantId: string, ref: string): Promise<ResolvedPrompt> {
    if (ref.startsWith('builtin:')) {
      const file = this.builtin.get(ref.slice(8) as BuiltinPromptName)
      if (!file) throw new AppError('prompt_not_found', `no built-in prompt ${ref}; known: ${BUILTIN_PROMPT_NAMES.join(', ')}`)
      return { path: file.path, durationMs: file.durationMs }
    }
    const row = await this.live(tenantId, ref)
    const path = this.pathOf(row.id)
    const present = await stat(path).then((s) => s.size === row.sizeBytes, () => false)
    if (!present) {
      await mkdir(join(this.dir, 'tenant'), { recursive: true })
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
      await writeFile(tmp, Buffer.from(row.audioBase64, 'base64'))
      await rename(tmp, path) // readers never see half a file
    }
    return { path, durationMs: row.durationMs }
  }

  /** Drops prompts deleted before `before` (no live call can still be playing them): their rows and this instance's files. */
  async purge(before: Date): Promise<number> {
    const gone = await this.db
      .delete(prompts)
      .where(and(isNotNull(prompts.deletedAt), lte(prompts.deletedAt, before)))
      .returning({ id: prompts.id })
    await Promise.all(gone.map((g) => rm(this.pathOf(g.id), { force: true })))
    return gone.length
  }

  pathOf(id: string): string {
    return join(this.dir, 'tenant', `${id}.wav`)
  }

  private async live(tenantId: string, id: string): Promise<PromptRow> {
    const [r] = await this.db
      .select()
      .from(prompts)
      .where(and(eq(prompts.id, id), eq(prompts.tenantId, tenantId), isNull(prompts.deletedAt)))
    if (!r) throw new AppError('prompt_not_found', `prompt ${id} not found`)
    return r
  }
}
