/**
 * Where recordings' (sealed) bytes live, behind one interface: a directory (default,
 * `<DATA_DIR>/recordings`) or an S3-compatible bucket through Bun's built-in S3 client. Both read
 * byte ranges, so a download's Range never needs the whole object.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { S3Client } from 'bun'

export interface ObjectStore {
  readonly kind: 'fs' | 's3'
  put(key: string, data: Uint8Array): Promise<void>
  /** Bytes [start, end) of the object. */
  read(key: string, start: number, end: number): Promise<Uint8Array>
  /** Removes the object; a missing one is not an error (deletes are retried). */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
}

/** Object keys are ours (`<tenant>/<recording id>.wav.sealed`); anything else is refused. */
function checkKey(key: string): string {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.includes('..')) throw new Error(`bad object key "${key}"`)
  return key
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs'
  private readonly root: string
  constructor(root: string) {
    this.root = resolve(root)
  }

  private path(key: string): string {
    const p = resolve(join(this.root, checkKey(key)))
    if (!p.startsWith(this.root + sep)) throw new Error(`bad object key "${key}"`)
    return p
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const p = this.path(key)
    await mkdir(dirname(p), { recursive: true, mode: 0o700 })
    // Written aside and renamed: a reader never sees half an object, a crash leaves no partial one.
    const tmp = `${p}.${process.pid}.tmp`
    await Bun.write(tmp, data)
    await rename(tmp, p)
  }

  async read(key: string, start: number, end: number): Promise<Uint8Array> {
    return new Uint8Array(await Bun.file(this.path(key)).slice(start, end).arrayBuffer())
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true })
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    )
  }
}

export interface S3Options {
  bucket: string
  endpoint?: string
  region?: string
  accessKeyId?: string
  secretAccessKey?: string
  /** Key prefix inside the bucket. */
  prefix?: string
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3'
  private readonly client: S3Client
  private readonly prefix: string
  constructor(o: S3Options) {
    this.client = new S3Client({ bucket: o.bucket, endpoint: o.endpoint, region: o.region, accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey })
    this.prefix = o.prefix ? o.prefix.replace(/\/+$/, '') + '/' : ''
  }

  private name(key: string): string {
    return this.prefix + checkKey(key)
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.client.write(this.name(key), data, { type: 'application/octet-stream' })
  }

  async read(key: string, start: number, end: number): Promise<Uint8Array> {
    return new Uint8Array(await this.client.file(this.name(key)).slice(start, end).arrayBuffer())
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(this.name(key))
  }

  async exists(key: string): Promise<boolean> {
    return this.client.exists(this.name(key))
  }
}
