/**
 * The API reference page's script, served by the gateway itself so /docs works offline. The
 * script is Scalar's standalone browser bundle from the pinned npm package (package.json pins an
 * exact version), not a CDN's `@latest`.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Elysia } from 'elysia'

export const SCALAR_SCRIPT_PATH = '/docs/assets/scalar-api-reference.js'

const require = createRequire(import.meta.url)
// The package exports neither its browser bundle nor package.json: find them beside its entry.
const scalarDist = dirname(require.resolve('@scalar/api-reference'))
const scalarBundle = join(scalarDist, 'browser', 'standalone.js')
const scalarVersion = (JSON.parse(readFileSync(join(scalarDist, '..', 'package.json'), 'utf8')) as { version: string }).version

/** Options for the openapi plugin's Scalar page: our script, and no web fonts from elsewhere. */
export const scalarPageOptions = { cdn: `${SCALAR_SCRIPT_PATH}?v=${scalarVersion}`, withDefaultFonts: false, defaultOpenAllTags: true }

export const docsAssets = new Elysia({ name: 'gateway:docs-assets' }).get(
  SCALAR_SCRIPT_PATH,
  ({ set }) => {
    // The URL carries the version, so a browser may keep it for a day without asking again.
    set.headers['cache-control'] = 'public, max-age=86400'
    set.headers['content-type'] = 'text/javascript; charset=utf-8'
    return Bun.file(scalarBundle)
  },
  { detail: { hide: true } },
)
