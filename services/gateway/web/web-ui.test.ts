/** The gateway serves the console and the reference page's script itself (app.handle, no network). */
import { afterAll, describe, expect, test } from 'bun:test'
import { gatewayApp } from '../test-app'

const gw = gatewayApp()
afterAll(() => gw.stop())

describe('web UI assets', () => {
  test('/console is the bundled page; its script and stylesheet are served with long-lived caching', async () => {
    const page = await gw.call('/console')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!)
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true)
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true)
    expect(html).not.toMatch(/https?:\/\//)
    for (const a of assets) {
      const r = await gw.call(a)
      expect(r.status).toBe(200)
      expect(r.headers.get('cache-control')).toContain('immutable')
      const body = await r.text()
      expect(body.length).toBeGreaterThan(100)
      if (a.endsWith('.js')) expect(body).toContain('/v1/sessions') // the console's calls, through the SDK
    }
    expect((await gw.call('/console/assets/nope.js')).status).toBe(404)
  }, 30_000)

  test('/docs loads Scalar from the gateway, pinned, not from a CDN', async () => {
    const html = await (await gw.call('/docs')).text()
    const src = html.match(/<script src="([^"]+)"/)?.[1]
    expect(src).toMatch(/^\/docs\/assets\/scalar-api-reference\.js\?v=\d+\.\d+\.\d+$/)
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com|fonts\.scalar/)
    const script = await gw.call(src!)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toContain('javascript')
    expect((await script.text()).length).toBeGreaterThan(1_000_000)
  })
})
