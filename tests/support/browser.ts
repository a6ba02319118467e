/**
 * Browser test harness: Debian's Chromium (CHROMIUM_BIN, /usr/bin/chromium or `chromium` on PATH)
 * driven headless by playwright-core. Where no Chromium is found the browser tests are skipped,
 * loudly. Every page is offline: a request to anything but this machine is refused and recorded,
 * so a test can assert that the page needed nothing from the internet.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_BIN
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  return Bun.which('chromium') ?? Bun.which('chromium-browser') ?? undefined
}

/** Prints the skip banner when Chromium is missing; true = skip the file. */
export function browserMissing(file: string): boolean {
  if (findChromium()) return false
  console.warn(
    `\n${'!'.repeat(78)}\n!!! BROWSER TESTS SKIPPED (${file}): no Chromium (apt-get install chromium, or set CHROMIUM_BIN).\n` +
      `!!! These tests drive /docs and the console in headless Chromium; they did NOT run.\n${'!'.repeat(78)}\n`,
  )
  return true
}

/** Screenshots go here (gitignored): the visible record of what the tests saw. */
export const ARTIFACTS = join(import.meta.dir, '..', 'browser', 'artifacts')

export interface OfflinePage {
  page: Page
  /** URLs the page tried to reach off this machine (all refused). */
  external: string[]
  /** Uncaught page errors and console errors. */
  errors: string[]
  screenshot(name: string, fullPage?: boolean): Promise<string>
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium()
  if (!executablePath) throw new Error('no Chromium')
  return chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
}

export async function offlinePage(browser: Browser): Promise<OfflinePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  const external: string[] = []
  const errors: string[] = []
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) return route.continue()
    external.push(url.href)
    return route.abort('internetdisconnected')
  })
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  mkdirSync(ARTIFACTS, { recursive: true })
  return {
    page,
    external,
    errors,
    async screenshot(name, fullPage = false) {
      const path = join(ARTIFACTS, `${name}.png`)
      await page.screenshot({ path, fullPage })
      return path
    },
  }
}
