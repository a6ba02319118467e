/**
 * PIN sessions, per-session limits and greeting, and PATCH, through the gateway and the bus on
 * real NATS and PostgreSQL (identity, did, sessions, gateway in one process).
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { sessions } from '../../shared/contracts/sessions'
import { numbers, startFixture, tenantWith, type Fixture } from '../../tests/support/sessions-platform'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.tp.stop())
afterEach(() => setSystemTime())

const bus = () => f.tp.platform.bus
const route = (to: string, from: string) => bus().request(sessions.route, { to, from }, { requestId: 'pin-test' })
const routePin = (to: string, from: string, pin: string) => bus().request(sessions.routePin, { to, from, pin }, { requestId: 'pin-test' })

let seq = 0
const pair = () => {
  seq += 2
  return { driver_phone: `+1415556${String(seq).padStart(4, '0')}`, customer_phone: `+1415556${String(seq + 1).padStart(4, '0')}` }
}
const STRANGER = '+14155559999'

describe('PIN sessions', () => {
  test('the reply carries one PIN per party, pin_length digits (default 6), different from each other', async () => {
    const { key } = await tenantWith(f, numbers('+1202556', 100, 1))
    const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), pin_required: true } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ pin_required: true, pin_length: 6 })
    expect(r.body.driver_pin).toMatch(/^[0-9]{6}$/)
    expect(r.body.customer_pin).toMatch(/^[0-9]{6}$/)
    expect(r.body.driver_pin).not.toBe(r.body.customer_pin)
    for (const len of [4, 8]) {
      const s = await f.http.post('/v1/sessions', { key, body: { ...pair(), pin_required: true, pin_length: len } })
      expect(s.status).toBe(200)
      expect(s.body.driver_pin).toHaveLength(len)
    }
    // A session without PIN shows none.
    const { key: k2 } = await tenantWith(f, numbers('+1202556', 110, 1))
    const plain = await f.http.post('/v1/sessions', { key: k2, body: pair() })
    expect(plain.body).toMatchObject({ pin_required: false, pin_length: null, driver_pin: null, customer_pin: null })
  })

  test('pin_length outside 4-8 is 422 on pin_length', async () => {
    const { key } = await tenantWith(f, numbers('+1202556', 120, 1))
    for (const body of [{ pin_required: true, pin_length: 3 }, { pin_required: true, pin_length: 9 }]) {
      const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), ...body } })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['body', 'pin_length'])
    }
  })

  test('more PIN sessions than pool numbers coexist on one number, every PIN unique there; caller-id sessions stay off it', async () => {
    const [M] = numbers('+1202556', 200, 1)
    const { key } = await tenantWith(f, [M!]) // exclusive mode, one number
    const shared = pair() // the same two parties in several sessions, too
    const created = []
    for (let i = 0; i < 6; i++) {
      const r = await f.http.post('/v1/sessions', { key, body: { ...(i < 3 ? shared : pair()), pin_required: true, pin_length: 4 } })
      expect(r.status).toBe(200)
      created.push(r.body)
    }
    expect(new Set(created.map((s) => s.masked_e164))).toEqual(new Set([M]))
    const pins = created.flatMap((s) => [s.driver_pin, s.customer_pin])
    expect(new Set(pins).size).toBe(12)
    // The number now carries PIN sessions: no caller-id session can be put on it.
    const plain = await f.http.post('/v1/sessions', { key, body: pair() })
    expect(plain.status).toBe(409)
    expect(plain.body.error.code).toBe('no_masked_number_available')
    const explicit = await f.http.post('/v1/sessions', { key, body: { ...pair(), masked_e164: M } })
    expect(explicit.status).toBe(409)
    expect(explicit.body.error.code).toBe('masked_number_busy')
    // ... and a number carrying a caller-id session takes no PIN session.
    const [N] = numbers('+1202556', 201, 1)
    const { key: k2 } = await tenantWith(f, [N!])
    expect((await f.http.post('/v1/sessions', { key: k2, body: pair() })).status).toBe(200)
    const pinOnBusy = await f.http.post('/v1/sessions', { key: k2, body: { ...pair(), pin_required: true } })
    expect(pinOnBusy.status).toBe(409)
  })

  test('a call to the number asks for a PIN (even from a party’s own phone); the PIN names the session and who calls', async () => {
    const [M] = numbers('+1202556', 300, 1)
    const { key } = await tenantWith(f, [M!])
    const p1 = pair()
    const a = (await f.http.post('/v1/sessions', { key, body: { ...p1, pin_required: true, call_time_limit_seconds: 300 } })).body
    const b = (await f.http.post('/v1/sessions', { key, body: { ...pair(), pin_required: true } })).body
    expect(await route(M!, STRANGER)).toEqual({ action: 'collect_pin', tenant_id: a.tenant_id, max_digits: 8 })
    expect((await route(M!, p1.driver_phone)).action).toBe('collect_pin')

    // The driver's PIN typed from any phone: the caller is the driver, bridged to the customer.
    expect(await routePin(M!, STRANGER, a.driver_pin)).toMatchObject({
      action: 'bridge',
      session_id: a.id,
      from_party: 'driver',
      to_party: 'customer',
      target: a.customer_phone,
      caller_id: M,
      call_time_limit_seconds: 300,
    })
    expect(await routePin(M!, STRANGER, a.customer_pin)).toMatchObject({ action: 'bridge', session_id: a.id, from_party: 'customer', target: a.driver_phone })
    expect(await routePin(M!, STRANGER, b.customer_pin)).toMatchObject({ action: 'bridge', session_id: b.id, target: b.driver_phone })
    const wrong = [...'0123456789'].map((d) => d.repeat(6)).find((p) => ![a.driver_pin, a.customer_pin, b.driver_pin, b.customer_pin].includes(p))!
    expect(await routePin(M!, STRANGER, wrong)).toMatchObject({ action: 'refuse', reason: 'wrong_pin' })

    // An ended session's PINs open nothing.
    await f.http.post(`/v1/sessions/${a.id}/complete`, { key })
    expect(await routePin(M!, STRANGER, a.driver_pin)).toMatchObject({ action: 'refuse', reason: 'wrong_pin' })
    await f.http.post(`/v1/sessions/${b.id}/complete`, { key })
    expect(await route(M!, STRANGER)).toMatchObject({ action: 'refuse', reason: 'no_session' })
  })
})

describe('per-session limits and greeting', () => {
  test('given limits and greeting are stored, shown and handed to call control with the bridge', async () => {
    const [M] = numbers('+1202556', 400, 1)
    const { key } = await tenantWith(f, [M!])
    const p = pair()
    const r = await f.http.post('/v1/sessions', { key, body: { ...p, call_time_limit_seconds: 120, ring_timeout_seconds: 20, greeting_prompt: 'builtin:connecting' } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ call_time_limit_seconds: 120, ring_timeout_seconds: 20, greeting_prompt: 'builtin:connecting' })
    expect(await route(M!, p.driver_phone)).toMatchObject({ action: 'bridge', call_time_limit_seconds: 120, ring_timeout_seconds: 20, greeting_prompt: 'builtin:connecting' })
    const got = await f.http.get(`/v1/sessions/${r.body.id}`, { key })
    expect(got.body).toMatchObject({ call_time_limit_seconds: 120, ring_timeout_seconds: 20, greeting_prompt: 'builtin:connecting' })
  })

  test('out-of-bounds limits and unknown prompts are 422 on their field', async () => {
    const { key } = await tenantWith(f, numbers('+1202556', 410, 1))
    const cases: [Record<string, unknown>, string][] = [
      [{ call_time_limit_seconds: 5 }, 'call_time_limit_seconds'],
      [{ call_time_limit_seconds: 86_401 }, 'call_time_limit_seconds'],
      [{ ring_timeout_seconds: 4 }, 'ring_timeout_seconds'],
      [{ ring_timeout_seconds: 301 }, 'ring_timeout_seconds'],
      [{ greeting_prompt: 'hello.wav' }, 'greeting_prompt'],
      [{ greeting_prompt: 'builtin:no_such_prompt' }, 'greeting_prompt'],
    ]
    for (const [body, field] of cases) {
      const r = await f.http.post('/v1/sessions', { key, body: { ...pair(), ...body } })
      expect(r.status).toBe(422)
      expect(r.body.detail[0].loc).toEqual(['body', field])
    }
  })

  test('the OpenAPI document shows the new fields with their bounds', async () => {
    const doc = (await f.http.get('/openapi.json')).body
    const create = doc.paths['/v1/sessions'].post.requestBody.content['application/json'].schema.properties
    expect(create.pin_required).toMatchObject({ type: 'boolean', default: false })
    expect(create.pin_length).toMatchObject({ minimum: 4, maximum: 8, default: 6 })
    expect(JSON.stringify(create.call_time_limit_seconds)).toContain('"maximum":86400')
    expect(JSON.stringify(create.ring_timeout_seconds)).toContain('"maximum":300')
    expect(create.greeting_prompt).toBeDefined()
    expect(doc.paths['/v1/sessions/{session_ref}'].patch).toBeDefined()
    expect(doc.paths['/v1/prompts'].post.requestBody.content['audio/wav']).toBeDefined()
  })
})

describe('PATCH /v1/sessions/{session_ref}', () => {
  test('a shortened session routes until its new expiry and not after; the sweeper ends it then', async () => {
    const [M] = numbers('+1202556', 500, 1)
    const { key } = await tenantWith(f, [M!])
    const p = pair()
    const s = (await f.http.post('/v1/sessions', { key, body: { ...p, ttl_minutes: 600 } })).body
    expect((await route(M!, p.driver_phone)).action).toBe('bridge') // now in the route index
    const at = Date.now()
    const r = await f.http.patch(`/v1/sessions/${s.id}`, { key, body: { ttl_minutes: 1 } })
    expect(r.status).toBe(200)
    expect(r.body.ttl_minutes).toBe(1)
    const expires = Date.parse(r.body.expires_at)
    expect(expires - at).toBeGreaterThanOrEqual(59_000)
    expect(expires - at).toBeLessThanOrEqual(61_000)
    setSystemTime(new Date(expires - 1000))
    expect((await route(M!, p.driver_phone)).action).toBe('bridge')
    setSystemTime(new Date(expires + 1000))
    expect(await route(M!, p.driver_phone)).toMatchObject({ action: 'refuse', reason: 'no_session' })
    expect((await f.http.get(`/v1/sessions/${s.id}`, { key })).body).toMatchObject({ status: 'expired', end_reason: 'expired' })
    expect(await f.sessions.lifecycle.sweep()).toBeGreaterThanOrEqual(1)
    setSystemTime()
    // Once swept its number is free again at real time, too.
    expect((await f.http.post('/v1/sessions', { key, body: { ...pair(), masked_e164: M } })).status).toBe(200)
  })

  test('an extended session routes past its first expiry; a PIN session keeps its PINs; limits change and clear', async () => {
    const [M, P] = numbers('+1202556', 510, 2)
    const { key } = await tenantWith(f, [M!, P!])
    const pp = pair()
    const s = (await f.http.post('/v1/sessions', { key, body: { ...pp, ttl_minutes: 1, masked_e164: M, ring_timeout_seconds: 30 } })).body
    const r = await f.http.patch(`/v1/sessions/${s.order_id ?? s.id}`, { key, body: { ttl_minutes: 120, ring_timeout_seconds: null, call_time_limit_seconds: 60 } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ ttl_minutes: 120, ring_timeout_seconds: null, call_time_limit_seconds: 60 })
    setSystemTime(new Date(Date.parse(s.expires_at) + 30 * 60_000))
    const d = await route(M!, pp.driver_phone)
    expect(d).toMatchObject({ action: 'bridge', session_id: s.id, call_time_limit_seconds: 60 })
    expect(d).not.toHaveProperty('ring_timeout_seconds') // cleared: the platform's own applies
    expect(await f.sessions.lifecycle.sweep()).toBe(0)
    setSystemTime()

    const pin = (await f.http.post('/v1/sessions', { key, body: { ...pair(), pin_required: true, ttl_minutes: 1, masked_e164: P } })).body
    const longer = await f.http.patch(`/v1/sessions/${pin.id}`, { key, body: { ttl_minutes: 90 } })
    expect(longer.body).toMatchObject({ driver_pin: pin.driver_pin, customer_pin: pin.customer_pin })
    setSystemTime(new Date(Date.parse(pin.expires_at) + 10 * 60_000))
    expect(await routePin(P!, STRANGER, pin.driver_pin)).toMatchObject({ action: 'bridge', session_id: pin.id })
  })

  test('an ended session is 409 session_not_open; unknown is 404; nothing to change is 422', async () => {
    const { key } = await tenantWith(f, numbers('+1202556', 520, 1))
    const s = (await f.http.post('/v1/sessions', { key, body: pair() })).body
    const empty = await f.http.patch(`/v1/sessions/${s.id}`, { key, body: {} })
    expect(empty.status).toBe(422)
    await f.http.post(`/v1/sessions/${s.id}/complete`, { key })
    const ended = await f.http.patch(`/v1/sessions/${s.id}`, { key, body: { ttl_minutes: 30 } })
    expect(ended.status).toBe(409)
    expect(ended.body.error.code).toBe('session_not_open')
    const unknown = await f.http.patch('/v1/sessions/ses_01HZZZZZZZZZZZZZZZZZZZZZZZ', { key, body: { ttl_minutes: 30 } })
    expect(unknown.status).toBe(404)
    const bad = await f.http.patch(`/v1/sessions/${s.id}`, { key, body: { ttl_minutes: 10081 } })
    expect(bad.status).toBe(422)
  })
})
