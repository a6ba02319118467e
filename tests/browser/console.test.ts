/**
 * The web console in headless Chromium, against the services as separate processes on real NATS
 * and PostgreSQL, with the internet cut off: an operator creates a tenant and manages numbers
 * (typed and from a CSV file); the tenant sees and completes sessions, reads calls with their
 * callback attempts, its numbers, manages keys and the webhook secret. Screenshots of each step
 * go to tests/browser/artifacts/ (gitignored).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import type { Browser, Page } from 'playwright-core'
import { createMaskingClient, MaskingApiError, type MaskingClient } from '../../clients/typescript/src'
import { browserMissing, launchBrowser, offlinePage, type OfflinePage } from '../support/browser'
import { eventually } from '../support/eventually'
import { e2eAvailable, startE2E, type E2E } from '../support/launched'

const skip = browserMissing('tests/browser/console.test.ts') || !e2eAvailable
const NUMBERS = ['+12025550170', '+12025550171', '+12025550172']

let e2e: E2E
let browser: Browser
let baseUrl: string
let operator: MaskingClient
// Filled by the operator flow, used by the tenant flow.
let tenantId = ''
let tenantKey = ''

/** Page errors, minus the console lines Chromium prints for every non-2xx fetch (the UI shows those). */
const realErrors = (p: OfflinePage) => p.errors.filter((e) => !e.includes('Failed to load resource'))
const rows = (page: Page, testId: string) => page.locator(`[data-testid=${testId}] tbody tr`)
const status = (e: unknown) => (e instanceof MaskingApiError ? e.status : 0)

describe.skipIf(skip)('browser: the web console', () => {
  beforeAll(async () => {
    e2e = await startE2E({ services: ['identity', 'did', 'sessions', 'call-control', 'gateway'] })
    baseUrl = e2e.launched.gatewayUrls[0]!
    operator = createMaskingClient({ baseUrl, adminToken: e2e.adminToken })
    browser = await launchBrowser()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await e2e?.stop()
  })

  test('operator: sign in with the admin token, create a tenant, import numbers (typed and CSV), assign, suspend, resume', async () => {
    const p = await offlinePage(browser)
    const { page } = p
    page.on('dialog', (d) => void d.accept())
    await page.goto(`${baseUrl}/console`)
    await page.getByLabel('Operator (admin token)').check()
    await page.getByLabel('Secret').fill('wrong-token-wrong-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').innerText()).toContain('401')
    await page.getByLabel('Secret').fill(e2e.adminToken)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Tenants' }).waitFor()

    await page.getByLabel('Name').fill('Acme Rides')
    await page.getByLabel('Number sharing').selectOption('shared')
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await page.getByTestId('plaintext').waitFor()
    tenantKey = await page.getByTestId('plaintext').innerText()
    expect(tenantKey).toMatch(/^msk_live_[0-9A-Za-z]{38}$/)
    expect(await page.getByTestId('webhook-secret').innerText()).not.toBe('')
    await p.screenshot('operator-1-tenant-created')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.content()).not.toContain(tenantKey)
    await rows(page, 'tenants').filter({ hasText: 'Acme Rides' }).waitFor()
    const listed = await operator.get('/admin/v1/tenants', { params: { query: { limit: 500 } } })
    const acme = listed.items.find((t) => t.name === 'Acme Rides')
    expect(acme?.number_sharing).toBe('shared')
    tenantId = acme?.id ?? ''

    // Tenant settings.
    await rows(page, 'tenants').filter({ hasText: 'Acme Rides' }).click()
    await page.getByRole('heading', { name: `Tenant ${tenantId}` }).waitFor()
    await page.getByLabel('Rate limit').fill('50')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('Saved.').waitFor()
    expect((await operator.get('/admin/v1/tenants/{tenant_id}', { params: { path: { tenant_id: tenantId } } })).rate_limit_per_second).toBe(50)

    // Numbers: one typed, then a CSV file with a header, a repeat and two new ones.
    await page.getByRole('link', { name: 'Number pool' }).click()
    await page.getByLabel('Numbers').fill(NUMBERS[0]!)
    await page.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-report').filter({ hasText: 'Imported 1, already in the pool 0.' }).waitFor()
    await page.getByLabel('CSV file').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from(`label,e164\nold,${NUMBERS[0]}\na,${NUMBERS[1]}\nb,"${NUMBERS[2]}"\n`) })
    await page.getByTestId('import-report').filter({ hasText: 'Imported 2, already in the pool 1.' }).waitFor()
    for (const n of NUMBERS) await page.locator(`tr[data-e164="${n}"]`).filter({ hasText: 'available' }).waitFor()
    await p.screenshot('operator-2-numbers-imported')

    for (const n of NUMBERS) {
      const row = page.locator(`tr[data-e164="${n}"]`)
      await row.getByLabel(`Assign ${n} to`).selectOption(tenantId)
      await row.getByRole('button', { name: 'Assign' }).click()
      await row.filter({ hasText: tenantId }).waitFor()
    }
    const row = page.locator(`tr[data-e164="${NUMBERS[2]}"]`)
    await row.getByRole('button', { name: 'Suspend' }).click()
    await row.getByRole('button', { name: 'Resume' }).waitFor()
    expect(await row.innerText()).toContain('suspended')
    await p.screenshot('operator-3-assigned-and-suspended')
    await row.getByRole('button', { name: 'Resume' }).click()
    await row.getByRole('button', { name: 'Suspend' }).waitFor()
    const pool = await operator.get('/admin/v1/dids', { params: { query: { tenant_id: tenantId, status: 'active' } } })
    expect(pool.items.map((d) => d.e164).sort()).toEqual([...NUMBERS].sort())
    expect(p.external).toEqual([])
    expect(realErrors(p)).toEqual([])
  }, 120_000)

  test('tenant: sessions (filter, detail, complete), calls with callback attempts, numbers, keys (once, rotate, revoke), webhook secret', async () => {
    expect(tenantKey).not.toBe('')
    const api = createMaskingClient({ baseUrl, apiKey: tenantKey })
    const s1 = await api.post('/v1/sessions', { body: { order_id: 'trip-1', driver_phone: '+14155550101', customer_phone: '+14155550102' } })
    await api.post('/v1/sessions', { body: { order_id: 'trip-2', driver_phone: '+14155550103', customer_phone: '+14155550104' } })
    await seedCall(e2e, tenantId, s1.id, s1.masked_e164)

    const p = await offlinePage(browser)
    const { page } = p
    page.on('dialog', (d) => void d.accept())
    await page.goto(`${baseUrl}/console`)
    await page.getByLabel('Secret').fill(tenantKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Sessions' }).waitFor()
    expect(await eventually(() => rows(page, 'sessions').count(), (n) => n === 2, 10_000)).toBe(2)
    await page.getByLabel('Order id').fill('trip-1')
    await page.getByRole('button', { name: 'Filter' }).click()
    expect(await eventually(() => rows(page, 'sessions').count(), (n) => n === 1, 10_000)).toBe(1)
    expect(await rows(page, 'sessions').innerText()).toContain(s1.id)
    await p.screenshot('tenant-1-sessions-filtered')

    await rows(page, 'sessions').click()
    await page.getByRole('heading', { name: `Session ${s1.id}` }).waitFor()
    await rows(page, 'calls').first().waitFor()
    expect(await page.getByTestId('session-detail').innerText()).toContain(s1.masked_e164)
    await page.getByRole('button', { name: 'Complete session' }).click()
    await page.getByTestId('session-detail').filter({ hasText: 'completed' }).waitFor()
    expect((await api.get('/v1/sessions/{session_ref}', { params: { path: { session_ref: s1.id } } })).status).toBe('completed')
    await p.screenshot('tenant-2-session-completed')

    // Calls, and one call's callback deliveries with their attempts.
    await page.getByRole('link', { name: 'Calls' }).click()
    await rows(page, 'calls').first().click()
    await page.getByTestId('callback').first().waitFor()
    const callbacks = await page.getByTestId('callback').allInnerTexts()
    expect(callbacks).toHaveLength(2)
    expect(callbacks[0]).toContain('delivered')
    expect(callbacks[1]).toContain('failed')
    expect(callbacks[1]).toContain('connection refused')
    await p.screenshot('tenant-3-call-with-callbacks', true)

    await page.getByRole('link', { name: 'Numbers' }).click()
    expect(await eventually(() => rows(page, 'assignments').count(), (n) => n === 3, 10_000)).toBe(3)

    // Keys: a new key's plaintext is shown once; rotate it; revoke the rotated one.
    await page.getByRole('link', { name: 'API keys' }).click()
    await rows(page, 'keys').first().waitFor()
    await page.getByLabel('Label').fill('ci-backend')
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByTestId('plaintext').waitFor()
    const ciKey = await page.getByTestId('plaintext').innerText()
    expect((await createMaskingClient({ baseUrl, apiKey: ciKey }).get('/v1/api-keys')).tenant_id).toBe(tenantId)
    await p.screenshot('tenant-4-key-shown-once')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.content()).not.toContain(ciKey)

    const ciRow = rows(page, 'keys').filter({ hasText: 'ci-backend' }).filter({ hasText: 'active' })
    await ciRow.getByRole('button', { name: 'Rotate' }).click()
    await page.getByTestId('plaintext').waitFor()
    const rotatedKey = await page.getByTestId('plaintext').innerText()
    expect(rotatedKey).not.toBe(ciKey)
    expect(status(await createMaskingClient({ baseUrl, apiKey: ciKey }).get('/v1/api-keys').catch((e: unknown) => e))).toBe(401)
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await rows(page, 'keys').filter({ hasText: rotatedKey.slice(0, 15) }).getByRole('button', { name: 'Revoke' }).click()
    await rows(page, 'keys').filter({ hasText: rotatedKey.slice(0, 15) }).filter({ hasText: 'revoked' }).waitFor()
    expect(status(await createMaskingClient({ baseUrl, apiKey: rotatedKey }).get('/v1/api-keys').catch((e: unknown) => e))).toBe(401)

    // Rotating the key this console signed in with: the console carries on with the new key.
    await rows(page, 'keys').filter({ hasText: 'in use here' }).getByRole('button', { name: 'Rotate' }).click()
    await page.getByTestId('plaintext').waitFor()
    const newOwnKey = await page.getByTestId('plaintext').innerText()
    await page.getByTestId('who').filter({ hasText: newOwnKey.slice(0, 15) }).waitFor()
    expect(status(await api.get('/v1/api-keys').catch((e: unknown) => e))).toBe(401)
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await page.getByRole('link', { name: 'Sessions' }).click()
    expect(await eventually(() => rows(page, 'sessions').count(), (n) => n === 2, 10_000)).toBe(2)
    await p.screenshot('tenant-5-own-key-rotated')

    // Webhook secret: revealed on request; rotation shows the new one.
    const tenantApi = createMaskingClient({ baseUrl, apiKey: newOwnKey })
    await page.getByRole('link', { name: 'Webhook secret' }).click()
    await page.getByRole('button', { name: 'Reveal secret' }).click()
    await page.getByTestId('plaintext').waitFor()
    const before = await page.getByTestId('plaintext').innerText()
    expect(before).toBe((await tenantApi.get('/v1/webhook-secret')).webhook_secret)
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    await page.getByTestId('plaintext').filter({ hasNotText: before }).waitFor()
    expect(await page.getByTestId('plaintext').innerText()).toBe((await tenantApi.get('/v1/webhook-secret')).webhook_secret)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect(p.external).toEqual([])
    expect(realErrors(p)).toEqual([])
  }, 120_000)
})

/**
 * A finished originated call with two callback deliveries (one delivered, one given up), written
 * into call-control's tables as its worker would leave them: calls need a SIP engine to happen,
 * and this test is about showing them.
 */
async function seedCall(e2e: E2E, tenantId: string, sessionId: string, masked: string): Promise<void> {
  const db = new SQL(e2e.env.DATABASE_URL!)
  const callId = `call_console${Date.now().toString(36)}`
  const at = new Date().toISOString()
  await db`insert into calls.calls (id, tenant_id, session_id, order_id, direction, status, from_party, to_party, from_phone, to_phone, masked_e164, state_callback, callback_seq, created_at, answered_at, ended_at, duration_seconds, end_reason)
           values (${callId}, ${tenantId}, ${sessionId}, 'trip-1', 'originate', 'completed', 'driver', 'customer', '+14155550101', '+14155550102', ${masked}, 'http://127.0.0.1:9/cb', 2, ${at}, ${at}, ${at}, 42, 'hangup')`
  const attempt = (code: number | null, error: string | null) => JSON.stringify([{ at, status_code: code, error, duration_ms: 12 }])
  await db`insert into calls.callback_deliveries (id, call_id, tenant_id, sequence, event, event_id, url, body, status, attempts, last_status_code, last_error, attempt_log, delivered_at)
           values (${`cbd_a${callId}`}, ${callId}, ${tenantId}, 1, 'answered', ${`evt_a${callId}`}, 'http://127.0.0.1:9/cb', '{}', 'delivered', 1, 200, null, ${attempt(200, null)}::jsonb, ${at}),
                  (${`cbd_b${callId}`}, ${callId}, ${tenantId}, 2, 'completed', ${`evt_b${callId}`}, 'http://127.0.0.1:9/cb', '{}', 'failed', 1, null, 'connection refused', ${attempt(null, 'connection refused')}::jsonb, null)`
  await db.close()
}
