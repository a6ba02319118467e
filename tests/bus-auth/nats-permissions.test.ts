/**
 * The bus is no open door (issue 12): a private nats-server runs the configuration we ship
 * (infra/nats/permissions.ts, rendered for this run's prefix). An anonymous client is refused; a
 * service's credentials give only that service's subjects (did cannot read a tenant's webhook
 * secret, call-control cannot create a tenant, nobody but identity can answer identity's
 * requests); and the whole platform, each service with its own credentials, works through it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { randomBase62 } from '../../shared/api-key'
import { Bus } from '../../shared/bus/bus'
import { inboxPrefix } from '../../shared/bus/connect'
import { NatsTransport } from '../../shared/bus/nats-transport'
import { identity } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import { launch, type Launched } from '../../infra/launch'
import { NATS_USERS, natsAuthConfigMap, natsServerConfig, passwordVariable, type NatsUser } from '../../infra/nats/permissions'
import { client, createTenant } from '../support/http'
import { phoneNumbersIn } from '../support/launched'
import { freshDatabase, probeInfra, testEnv, uniquePrefix, type TestDatabase } from '../support/infra'
import { freeTcpPort } from '../sip/support'

const BIN = process.env.NATS_SERVER_BIN ?? (Bun.which('nats-server') || '/usr/sbin/nats-server')
const infra = await probeInfra()

let server: Subprocess | undefined
let url = ''
let dir = ''
const prefix = uniquePrefix('auth')
const passwords = Object.fromEntries(NATS_USERS.map((u) => [u, randomBase62(24)])) as Record<NatsUser, string>
const opened: NatsTransport[] = []

async function as(user?: NatsUser, password?: string): Promise<NatsTransport> {
  const t = await NatsTransport.connect({ servers: url, name: `auth-test-${user ?? 'anonymous'}`, ...(user ? { user, pass: password ?? passwords[user], inboxPrefix: inboxPrefix(user) } : {}) })
  opened.push(t)
  return t
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nats-auth-'))
  const port = await freeTcpPort()
  writeFileSync(join(dir, 'nats.conf'), natsServerConfig({ prefix, port, jetstream: false }))
  const env = { ...process.env, ...Object.fromEntries(NATS_USERS.map((u) => [passwordVariable(u), passwords[u]])) } as Record<string, string>
  server = Bun.spawn([BIN, '-a', '127.0.0.1', '-c', join(dir, 'nats.conf')], { env, stdout: 'ignore', stderr: 'pipe' })
  url = `nats://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
      c.end()
      return
    } catch {
      await Bun.sleep(50)
    }
  }
  throw new Error('nats-server did not start with the shipped configuration')
})

afterAll(async () => {
  await Promise.allSettled(opened.map((t) => t.drain()))
  server?.kill('SIGKILL')
  await server?.exited
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('NATS with per-service credentials and subject permissions', () => {
  test('compose and Kubernetes ship the rendered configuration (infra/nats/nats-server.conf, infra/k8s/nats-auth.yaml)', async () => {
    expect(await Bun.file(join(import.meta.dir, '../../infra/nats/nats-server.conf')).text()).toBe(natsServerConfig())
    expect(await Bun.file(join(import.meta.dir, '../../infra/k8s/nats-auth.yaml')).text()).toBe(natsAuthConfigMap())
  })

  test('an anonymous client, and a service with a wrong password, are refused', async () => {
    expect(await as().then(() => 'connected', (e: Error) => e.name)).not.toBe('connected')
    expect(await as('identity', 'not-the-password').then(() => 'connected', (e: Error) => e.name)).not.toBe('connected')
  })

  test("a service cannot use another's subjects", async () => {
    const idT = await as('identity')
    const idBus = new Bus(idT, { prefix, service: 'identity', timeoutMs: 1500 })
    idBus.serve(identity.getWebhookSecret, async () => ({ tenant_id: 'ten_x', webhook_secret: 'whsec_x', previous_webhook_secret: null, previous_expires_at: null }))
    let creates = 0
    idBus.serve(identity.createTenant, async () => {
      creates++
      throw new Error('must not be reached')
    })
    await Bun.sleep(100)

    // call-control may read a tenant's signing secret (it signs callbacks) ...
    const cc = new Bus(await as('call-control'), { prefix, service: 'call-control', timeoutMs: 1500 })
    expect((await cc.request(identity.getWebhookSecret, {}, { tenantId: 'ten_x' })).webhook_secret).toBe('whsec_x')
    // ... but not create a tenant; did may not read a secret.
    const refused = await cc.request(identity.createTenant, { name: 'evil' }).then(() => 'answered', (e: { code?: string }) => e.code ?? 'error')
    expect(refused).not.toBe('answered')
    expect(creates).toBe(0)
    // The gateway may (the one service that sends operator requests).
    expect(await new Bus(await as('gateway'), { prefix, service: 'gateway', timeoutMs: 1500 }).request(identity.createTenant, { name: 'ok' }).catch(() => 'error')).toBe('error')
    expect(creates).toBe(1)
    const didBus = new Bus(await as('did'), { prefix, service: 'did', timeoutMs: 1500 })
    expect(await didBus.request(identity.getWebhookSecret, {}, { tenantId: 'ten_x' }).then(() => 'answered', () => 'refused')).toBe('refused')

    // Nobody but identity may answer identity's requests: sessions serving verifyKey never hears one.
    const sesT = await as('sessions')
    let heard = 0
    sesT.subscribe(`${prefix}.identity.key.verify`, undefined, () => void heard++)
    const gw = new Bus(await as('gateway'), { prefix, service: 'gateway', timeoutMs: 1500 })
    await gw.request(identity.verifyKey, { key_hash: 'a'.repeat(64) }).catch(() => undefined)
    await Bun.sleep(100)
    expect(heard).toBe(0)
    // These stand-ins must not answer the platform below.
    await Promise.allSettled(opened.splice(0).map((t) => t.drain()))
  })

  describe.skipIf(!infra.postgres)('the platform, each service with its own credentials', () => {
    let launched: Launched
    let db: TestDatabase
    let adminToken = ''
    beforeAll(async () => {
      db = await freshDatabase()
      const env: Record<string, string> = { ...(await testEnv(db)), NATS_URL: url, BUS_PREFIX: prefix }
      adminToken = env.ADMIN_TOKEN!
      launched = await launch({ env, envOf: (name) => ({ NATS_USER: name, NATS_PASSWORD: passwords[name] }) })
    }, 90_000)
    afterAll(async () => {
      await launched?.stop()
      await db?.drop()
    }, 30_000)

    test('health, tenants, keys, numbers and sessions work through the permissions', async () => {
      const http = client(launched.gatewayUrls[0]!)
      const health = await http.get('/health')
      expect(health.body.services).toEqual({ identity: 'ok', did: 'ok', sessions: 'ok', call_control: 'ok' })
      const t = await createTenant(http, adminToken)
      expect((await http.post('/v1/api-keys', { key: t.key, body: { label: 'second' } })).status).toBe(200)
      const n = '+12025550188'
      expect((await http.post('/admin/v1/dids', { bearer: adminToken, body: { numbers: [n] } })).status).toBe(200)
      expect((await http.post(`/admin/v1/dids/${n}/assign`, { bearer: adminToken, body: { tenant_id: t.tenantId } })).status).toBe(200)
      const s = await http.post('/v1/sessions', { key: t.key, body: { driver_phone: '+14155550101', customer_phone: '+14155550102' } })
      expect(s.status).toBe(200)
      expect(s.body.masked_e164).toBe(n)
      expect((await http.get('/v1/webhook-secret', { key: t.key })).status).toBe(200)
      expect((await http.get('/v1/calls', { key: t.key })).status).toBe(200)
      // An erasure: identity asks sessions and call-control; the gateway itself may not ask them.
      expect((await http.post(`/v1/sessions/${s.body.id}/complete`, { key: t.key })).status).toBe(200)
      const erased = await http.post('/v1/privacy/erasures', { key: t.key, body: { phone: '+14155550101' } })
      expect([erased.status, erased.body.touched]).toEqual([200, { sessions: 1, calls: 0, callback_deliveries: 0, idempotency_records: 0 }])
      expect((await http.get(`/v1/sessions/${s.body.id}`, { key: t.key })).body).toMatchObject({ driver_phone: '[redacted]', customer_phone: '+14155550102' })
      const asGateway = new Bus(await as('gateway'), { prefix, service: 'gateway', timeoutMs: 1500 })
      const direct = await asGateway.request(sessions.erasePhone, { phone: '+14155550102' }, { tenantId: t.tenantId }).then(() => 'answered', () => 'refused')
      expect(direct).toBe('refused')
      expect((await http.get(`/v1/sessions/${s.body.id}`, { key: t.key })).body.customer_phone).toBe('+14155550102')
      // No service logged a permissions violation along the way.
      const violations = launched.processes.flatMap((p) => p.lines.filter((l) => /permission/i.test(l)).map((l) => `${p.name}: ${l}`))
      expect(violations).toEqual([])
      // Nor a phone number in clear (the erasure's included).
      expect(phoneNumbersIn(launched.processes.flatMap((p) => p.lines))).toEqual([])
    })
  })
})
