/**
 * /docs in headless Chromium with the internet cut off: the reference page loads its script from
 * the gateway (bundled from the pinned npm package) and lists the API's operations.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { gatewayApp } from '../test-app'
import { browserMissing, launchBrowser, offlinePage } from '../../../tests/support/browser'

const skip = browserMissing('services/gateway/web/docs-page.test.ts')

describe.skipIf(skip)('browser: /docs offline', () => {
  // The real gateway app on an in-process bus: the page and the document need no other service.
  const gw = gatewayApp()
  let baseUrl: string
  let browser: Browser
  beforeAll(async () => {
    gw.app.listen({ port: 0, hostname: '127.0.0.1' })
    baseUrl = `http://127.0.0.1:${gw.app.server!.port}`
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await gw.app.stop()
    await gw.stop()
  })

  test('the reference page needs nothing from the internet and lists the operations', async () => {
    const served = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> }
    const summaries = Object.values(served.paths).flatMap((ops) => Object.values(ops).map((op) => op.summary).filter((s): s is string => !!s))
    expect(summaries.length).toBeGreaterThan(20)

    const html = await (await fetch(`${baseUrl}/docs`)).text()
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)\./)

    const { page, external, errors, screenshot } = await offlinePage(browser)
    // Chromium parses Scalar's 4.7 MB bundle before the page's load event; on a busy 2-core
    // machine that alone took 20 s, so wait for what the test is about, not for `load`.
    await page.goto(`${baseUrl}/docs`, { waitUntil: 'commit' })
    // Scalar's sidebar lists every operation by its summary, each tag open.
    const nav = page.locator('aside.t-doc__sidebar')
    await nav.getByText(summaries[summaries.length - 1]!, { exact: true }).first().waitFor({ state: 'attached', timeout: 120_000 })
    const text = await nav.innerText()
    const listed = summaries.filter((s) => text.split('\n').includes(s))
    await screenshot('docs')
    expect(listed).toEqual(summaries)
    expect(external).toEqual([])
    expect(errors).toEqual([])
  }, 150_000)
})
