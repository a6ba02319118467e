/**
 * /docs in headless Chromium with the internet cut off: the reference page loads its script from
 * the gateway (bundled from the pinned npm package) and lists the API's operations.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { gatewayService } from '../../services/gateway/service'
import { browserMissing, launchBrowser, offlinePage } from '../support/browser'
import { startTestPlatform, type TestPlatform } from '../support/platform'

const skip = browserMissing('tests/browser/docs.test.ts')

describe.skipIf(skip)('browser: /docs offline', () => {
  let tp: TestPlatform
  let browser: Browser
  beforeAll(async () => {
    tp = await startTestPlatform([gatewayService])
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await tp?.stop()
  })

  test('the reference page needs nothing from the internet and lists the operations', async () => {
    const served = (await (await fetch(`${tp.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> }
    const summaries = Object.values(served.paths).flatMap((ops) => Object.values(ops).map((op) => op.summary).filter((s): s is string => !!s))
    expect(summaries.length).toBeGreaterThan(20)

    const html = await (await fetch(`${tp.baseUrl}/docs`)).text()
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)\./)

    const { page, external, errors, screenshot } = await offlinePage(browser)
    await page.goto(`${tp.baseUrl}/docs`)
    // Scalar's sidebar lists every operation by its summary, each tag open.
    const nav = page.locator('aside.t-doc__sidebar')
    await nav.getByText(summaries[summaries.length - 1]!, { exact: true }).first().waitFor({ state: 'attached', timeout: 30_000 })
    const text = await nav.innerText()
    const listed = summaries.filter((s) => text.split('\n').includes(s))
    await screenshot('docs')
    expect(listed).toEqual(summaries)
    expect(external).toEqual([])
    expect(errors).toEqual([])
  }, 60_000)
})
