/**
 * The one contract every bus transport passes (run by bus.test.ts on NATS and in-process):
 * request/reply, typed error round trip, schema checks on receipt, timeout and no-responder →
 * service_unavailable, queue groups, events, prefix isolation, draining.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import { event, request } from '../contracts/define'
import { AppError } from '../errors'
import { Bus } from './bus'
import type { Transport } from './transport'

const echo = request('test.echo', T.Object({ text: T.String() }), T.Object({ text: T.String(), requestId: T.String(), tenantId: T.Optional(T.String()) }))
const fail = request('test.fail', T.Object({ kind: T.String() }), T.Object({}))
const badReply = request('test.bad-reply', T.Object({}), T.Object({ n: T.Integer() }))
const slow = request('test.slow', T.Object({ ms: T.Integer() }), T.Object({ done: T.Boolean() }))
const who = request('test.who', T.Object({}), T.Object({ instance: T.String() }))
const nobody = request('test.nobody', T.Object({}), T.Object({}))
const happened = event('test.happened', T.Object({ n: T.Integer() }))

export function busContractSuite(name: string, makeTransport: () => Promise<Transport>, prefixOf: () => string) {
  describe(`bus contract: ${name}`, () => {
    const opened: Bus[] = []
    async function bus(prefix: string, timeoutMs = 2000): Promise<Bus> {
      const b = new Bus(await makeTransport(), { prefix, service: 'test', timeoutMs })
      opened.push(b)
      return b
    }
    afterAll(async () => {
      await Promise.allSettled(opened.map((b) => b.drain()))
    })

    test('request/reply carries data and the request-id and tenant-id headers', async () => {
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix)
      server.serve(echo, async (d, ctx) => ({ text: d.text.toUpperCase(), requestId: ctx.requestId, tenantId: ctx.tenantId }))
      await Bun.sleep(50)
      const r = await client.request(echo, { text: 'hi' }, { requestId: 'req_1', tenantId: 'ten_1' })
      expect(r).toEqual({ text: 'HI', requestId: 'req_1', tenantId: 'ten_1' })
    })

    test('an event sent before a request is applied before the request is handled', async () => {
      // What "a released number is refused at once" rests on: the release event reaches every
      // sessions instance before any request sent after the release's answer.
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix)
      let last = 0
      server.subscribe(happened, ({ n }) => void (last = n))
      server.serve(echo, async () => ({ text: String(last), requestId: '', tenantId: undefined }))
      await Bun.sleep(50)
      const stale: number[] = []
      for (let n = 1; n <= 100; n++) {
        client.publish(happened, { n })
        const r = await client.request(echo, { text: '' })
        if (r.text !== String(n)) stale.push(n)
      }
      expect(stale).toEqual([])
    })

    test('a typed error thrown in the handler reaches the caller with its code, status and extras', async () => {
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix)
      server.serve(fail, async ({ kind }) => {
        if (kind === 'typed') throw new AppError('session_exists', 'an open session exists', { extra: { session_id: 'ses_1' } })
        throw new Error('boom')
      })
      await Bun.sleep(50)
      const typed = await client.request(fail, { kind: 'typed' }).catch((e) => e)
      expect(typed).toBeInstanceOf(AppError)
      expect(typed).toMatchObject({ code: 'session_exists', status: 409, message: 'an open session exists', extra: { session_id: 'ses_1' } })
      const untyped = await client.request(fail, { kind: 'other' }).catch((e) => e)
      expect(untyped).toMatchObject({ code: 'internal_error', status: 500 })
    })

    test('schemas are checked on receipt, both ways', async () => {
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix)
      server.serve(echo, async (d, ctx) => ({ text: d.text, requestId: ctx.requestId }))
      server.serve(badReply, async () => ({ n: 'not a number' }) as never)
      await Bun.sleep(50)
      const badRequest = await client.request(echo, { text: 5 } as never).catch((e) => e)
      expect(badRequest).toMatchObject({ code: 'validation_error', status: 422 })
      expect(badRequest.issues[0].loc).toEqual(['bus', 'text'])
      const bad = await client.request(badReply, {}).catch((e) => e)
      expect(bad).toMatchObject({ code: 'bad_gateway', status: 502 })
    })

    test('no responder → 503 service_unavailable at once, not after the timeout', async () => {
      const client = await bus(prefixOf(), 5000)
      const started = performance.now()
      const e = await client.request(nobody, {}).catch((err) => err)
      expect(e).toMatchObject({ code: 'service_unavailable', status: 503 })
      expect(e.message).toContain('(no responders)')
      expect(performance.now() - started).toBeLessThan(2500)
    })

    test('a handler that does not answer in time → 503 service_unavailable', async () => {
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix, 150)
      server.serve(slow, async ({ ms }) => (await Bun.sleep(ms), { done: true }))
      await Bun.sleep(50)
      const e = await client.request(slow, { ms: 1000 }).catch((err) => err)
      expect(e).toMatchObject({ code: 'service_unavailable', status: 503 })
      expect(e.message).toContain('(timeout)')
      expect(await client.request(slow, { ms: 1 })).toEqual({ done: true })
    })

    test('instances in one queue group share requests: each is answered exactly once', async () => {
      const prefix = prefixOf()
      const a = await bus(prefix)
      const b = await bus(prefix)
      const client = await bus(prefix)
      let handled = 0
      a.serve(who, async () => (handled++, { instance: 'a' }))
      b.serve(who, async () => (handled++, { instance: 'b' }))
      await Bun.sleep(100)
      const answers = await Promise.all(Array.from({ length: 60 }, () => client.request(who, {})))
      expect(answers).toHaveLength(60)
      expect(handled).toBe(60)
      const byA = answers.filter((x) => x.instance === 'a').length
      expect(byA).toBeGreaterThan(0)
      expect(byA).toBeLessThan(60)
    })

    test('a member that stops serving leaves the group: the others get every request, then nobody answers', async () => {
      const prefix = prefixOf()
      const a = await bus(prefix)
      const b = await bus(prefix)
      const client = await bus(prefix)
      const stopA = a.serve(who, async () => ({ instance: 'a' }))
      const stopB = b.serve(who, async () => ({ instance: 'b' }))
      await Bun.sleep(100)
      await stopA()
      await Bun.sleep(50)
      const answers = await Promise.all(Array.from({ length: 20 }, () => client.request(who, {})))
      expect(answers.every((x) => x.instance === 'b')).toBe(true)
      await stopB()
      await Bun.sleep(50)
      const err = await client.request(who, {}).catch((e) => e)
      expect(err).toBeInstanceOf(AppError)
      expect(err.code).toBe('service_unavailable')
    })

    test('events reach every subscriber, and one member of a queue group', async () => {
      const prefix = prefixOf()
      const pub = await bus(prefix)
      const s1 = await bus(prefix)
      const s2 = await bus(prefix)
      const got: string[] = []
      s1.subscribe(happened, ({ n }) => void got.push(`plain1:${n}`))
      s2.subscribe(happened, ({ n }) => void got.push(`plain2:${n}`))
      s1.subscribe(happened, ({ n }) => void got.push(`q:${n}`), { queue: 'workers' })
      s2.subscribe(happened, ({ n }) => void got.push(`q:${n}`), { queue: 'workers' })
      await Bun.sleep(100)
      pub.publish(happened, { n: 1 })
      pub.publish(happened, { n: 'bad' } as never) // dropped: does not match the schema
      await Bun.sleep(200)
      expect(got.sort()).toEqual(['plain1:1', 'plain2:1', 'q:1'])
    })

    test('BUS_PREFIX isolates runs sharing one server', async () => {
      const server = await bus(prefixOf())
      const other = await bus(prefixOf())
      server.serve(echo, async (d, ctx) => ({ text: d.text, requestId: ctx.requestId }))
      await Bun.sleep(50)
      const e = await other.request(echo, { text: 'x' }).catch((err) => err)
      expect(e).toMatchObject({ code: 'service_unavailable' })
    })

    test('drain lets an in-flight handler finish and reply', async () => {
      const prefix = prefixOf()
      const server = await bus(prefix)
      const client = await bus(prefix)
      server.serve(slow, async ({ ms }) => (await Bun.sleep(ms), { done: true }))
      await Bun.sleep(50)
      const pending = client.request(slow, { ms: 200 })
      await Bun.sleep(50)
      await server.drain()
      expect(await pending).toEqual({ done: true })
      const after = await client.request(slow, { ms: 1 }).catch((e) => e)
      expect(after).toMatchObject({ code: 'service_unavailable' })
    })
  })
}
