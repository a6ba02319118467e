/**
 * The web console (console/): a React page bundled by Bun's own bundler (`Bun.build` with the
 * HTML file as entry point) the first time someone asks for it, then served from memory. No
 * separate build step, nothing from a CDN. (Bun.serve's static HTML routes would do the same, but
 * Elysia turns them off when an app has onRequest hooks, as the gateway does.)
 */
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { AppError } from '../../../shared/errors'

export const CONSOLE_PATH = '/console'
const ASSETS = `${CONSOLE_PATH}/assets/`
const ENTRY = join(import.meta.dir, '..', '..', '..', 'console', 'index.html')

interface Asset {
  body: ArrayBuffer
  type: string
}

let built: Promise<Map<string, Asset>> | undefined

/** The bundle: index.html plus its hashed script and stylesheet, keyed by URL path. */
export function consoleBundle(): Promise<Map<string, Asset>> {
  built ??= (async () => {
    const out = await Bun.build({
      entrypoints: [ENTRY],
      target: 'browser',
      minify: true,
      publicPath: ASSETS,
      naming: { entry: '[name]-[hash].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
      define: { 'process.env.NODE_ENV': '"production"' },
    })
    if (!out.success) throw new Error(`console bundle failed: ${out.logs.map(String).join('; ')}`)
    const files = new Map<string, Asset>()
    for (const o of out.outputs) {
      const body = await o.arrayBuffer()
      const name = o.path.replace(/^\.\//, '')
      files.set(o.path.endsWith('.html') ? CONSOLE_PATH : ASSETS + name, { body, type: o.type })
    }
    return files
  })()
  built.catch(() => (built = undefined))
  return built
}

async function serve(path: string, set: { headers: Record<string, string | number> }): Promise<Response> {
  const asset = (await consoleBundle()).get(path)
  if (!asset) throw new AppError('route_not_found', `no route for GET ${path}`)
  // Hashed names never change content; the page itself is always asked again.
  const cache = path === CONSOLE_PATH ? 'no-cache' : 'public, max-age=31536000, immutable'
  return new Response(asset.body, { headers: { ...(set.headers as Record<string, string>), 'content-type': asset.type, 'cache-control': cache } })
}

export const consoleAssets = new Elysia({ name: 'gateway:console-assets' })
  .get(CONSOLE_PATH, ({ set }) => serve(CONSOLE_PATH, set), { detail: { hide: true } })
  .get(`${ASSETS}:file`, ({ params, set }) => serve(ASSETS + params.file, set), { detail: { hide: true } })
