/**
 * The image's pieces agree with the services: the Dockerfile (Bun version = the locked one,
 * production install, non-root, SIGTERM, health check, every default port exposed), the build
 * context (.dockerignore lets in what the Dockerfile copies), the entry point (every service) and
 * the health check's default ports. Offline: no Docker.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROMPT_TOOLS, runtimePackages } from './compose-check'
import { DEFAULT_PORTS, healthUrl } from './healthcheck'
import { loadServiceCatalog, ROOT, SERVICE_NAMES, type ServiceInfo, type ServiceName } from './service-catalog'

const dockerfile = readFileSync(join(ROOT, 'infra/Dockerfile'), 'utf8')
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
const instruction = (name: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${name} `))
const entrypoint = join(ROOT, 'infra/docker-entrypoint.sh')

let catalog: Map<ServiceName, ServiceInfo>
beforeAll(async () => {
  catalog = await loadServiceCatalog()
})

describe('infra/Dockerfile', () => {
  test('uses the Bun version the lockfile pins', () => {
    const locked = readFileSync(join(ROOT, 'bun.lock'), 'utf8').match(/"bun": \["bun@([0-9.]+)"/)?.[1]
    const arg = instruction('ARG').find((l) => l.startsWith('ARG BUN_VERSION='))
    expect(locked).toBeDefined()
    expect(arg).toBe(`ARG BUN_VERSION=${locked}`)
    for (const from of instruction('FROM')) expect(from).toMatch(/^FROM oven\/bun:\$\{BUN_VERSION\}(-[a-z]+)?( AS \w+)?$/)
  })

  test('installs production dependencies from the lockfile, runs non-root, stops on SIGTERM', () => {
    expect(instructions).toContain('RUN bun install --frozen-lockfile --production')
    const user = instruction('USER').at(-1)
    expect(user).toMatch(/^USER [1-9][0-9]*(:[0-9]+)?$/)
    expect(instruction('STOPSIGNAL')).toEqual(['STOPSIGNAL SIGTERM'])
    expect(instruction('HEALTHCHECK').join(' ')).toContain('infra/healthcheck.ts')
    expect(instruction('ENTRYPOINT')).toEqual(['ENTRYPOINT ["/bin/sh", "/app/infra/docker-entrypoint.sh"]'])
  })

  test('the image that runs has espeak-ng and sox (the built-in prompts) and a PROMPTS_DIR mount point the service user owns', () => {
    expect(runtimePackages(dockerfile)).toEqual(expect.arrayContaining([...PROMPT_TOOLS]))
    expect(instruction('RUN').some((l) => /mkdir -p .*\/var\/lib\/masking\/prompts/.test(l) && /chown 1000:1000 .*\/var\/lib\/masking\/prompts/.test(l))).toBe(true)
    // rtpengine's image has the same mount point, same owner: either may be first to mount the empty volume.
    expect(readFileSync(join(ROOT, 'infra/rtpengine/Dockerfile'), 'utf8')).toContain('chown 1000:1000 /var/lib/masking/prompts')
  })

  test("exposes every service's default port", () => {
    const exposed = instruction('EXPOSE').flatMap((l) => l.split(/\s+/).slice(1).map(Number))
    for (const info of catalog.values()) expect(exposed).toContain(info.defaultPort)
  })

  test('the build context (.dockerignore) lets in what the Dockerfile copies, and no secrets', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
    expect(ignore[0]).toBe('*')
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''))
    const sources = instruction('COPY')
      .filter((l) => !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1))
    expect(sources.length).toBeGreaterThan(0)
    for (const src of sources) {
      expect(allowed).toContain(src)
      expect(existsSync(join(ROOT, src))).toBe(true)
    }
    for (const secretish of ['data', '.env', 'node_modules', '.git']) expect(allowed).not.toContain(secretish)
  })
})

describe('infra/docker-entrypoint.sh and infra/healthcheck.ts', () => {
  test('the entry point knows every service (and all-in-one), each with a main.ts', () => {
    const text = readFileSync(entrypoint, 'utf8')
    const listed = text.match(/^\s*(gateway[^)]*)\)/m)?.[1]?.split('|').map((s) => s.trim())
    expect(new Set(listed)).toEqual(new Set([...SERVICE_NAMES, 'all-in-one']))
    for (const name of listed ?? []) if (catalog.has(name as ServiceName) || name === 'all-in-one') expect(existsSync(join(ROOT, 'services', name, 'main.ts'))).toBe(true)
  })

  test('the entry point is valid sh and refuses an unknown SERVICE with one line', () => {
    expect(Bun.spawnSync(['sh', '-n', entrypoint]).exitCode).toBe(0)
    const r = Bun.spawnSync(['sh', entrypoint], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', SERVICE: 'billing' } })
    expect(r.exitCode).toBe(2)
    expect(r.stderr.toString()).toContain('SERVICE must be one of')
  })

  test("the health check's default ports are the services' own", () => {
    for (const info of catalog.values()) expect(DEFAULT_PORTS[info.name]).toBe(info.defaultPort)
    expect(healthUrl({ SERVICE: 'sessions' })).toBe('http://127.0.0.1:8083/ready')
    expect(healthUrl({ SERVICE: 'sessions', PORT: '9000' })).toBe('http://127.0.0.1:9000/ready')
    expect(healthUrl({})).toBe('http://127.0.0.1:9090/ready')
    expect(healthUrl({ SERVICE: 'gateway', PORT: '8080', OPS_PORT: '9191' })).toBe('http://127.0.0.1:9191/ready')
  })
})
