/**
 * What the gateway serves to browsers besides the API: the reference page's script (/docs) and
 * the web console (/console), both built from this repo and its pinned npm packages, so they work
 * with no internet and no set-up step.
 */
import { Elysia } from 'elysia'
import { consoleAssets } from './console-assets'
import { docsAssets } from './docs-assets'

export { CONSOLE_PATH } from './console-assets'
export { scalarPageOptions } from './docs-assets'

export const webUi = new Elysia({ name: 'gateway:web-ui' }).use(docsAssets).use(consoleAssets)
