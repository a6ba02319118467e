/** The retrying fetch against a real local HTTP server that answers 429/503 before it answers 200. */
import { afterAll, describe, expect, test } from 'bun:test'
import { backoffMs, retryingFetch } from './retry'

interface Seen {
  method: string
  key: string | null
  body: string
}

function server(script: (n: number) => Response) {
  const seen: Seen[] = []
  const s = Bun.serve({
    port: 0,
    async fetch(req) {
      seen.push({ method: req.method, key: req.headers.get('idempotency-key'), body: await req.text() })
      return script(seen.length)
    },
  })
  return { url: `http://127.0.0.1:${s.port}/x`, seen, stop: () => s.stop(true) }
}

const stops: (() => void)[] = []
afterAll(() => stops.forEach((s) => s()))

describe('retryingFetch', () => {
  test('a POST carries one Idempotency-Key on every attempt, and 429 then 503 are retried until 200', async () => {
    const srv = server((n) => (n === 1 ? new Response('slow down', { status: 429, headers: { 'retry-after': '1' } }) : n === 2 ? new Response('', { status: 503 }) : Response.json({ ok: true })))
    stops.push(srv.stop)
    const waits: number[] = []
    const f = retryingFetch({ sleep: async (ms) => void waits.push(ms), random: () => 0.5 })
    const res = await f(new Request(srv.url, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }))
    expect(res.status).toBe(200)
    expect(srv.seen).toHaveLength(3)
    expect(new Set(srv.seen.map((s) => s.key)).size).toBe(1)
    expect(srv.seen[0]!.key).toMatch(/^[0-9a-f-]{36}$/)
    expect(srv.seen.map((s) => s.body)).toEqual(['{"a":1}', '{"a":1}', '{"a":1}'])
    // Retry-After: 1 → at least 1000 ms; then the second backoff step (jittered half of 500 ms).
    expect(waits).toEqual([1000, 250])
  })

  test('a caller’s own Idempotency-Key is kept; GETs get none', async () => {
    const srv = server(() => Response.json({}))
    stops.push(srv.stop)
    const f = retryingFetch()
    await f(new Request(srv.url, { method: 'POST', body: '{}', headers: { 'idempotency-key': 'trip-1001' } }))
    await f(new Request(srv.url))
    expect(srv.seen.map((s) => [s.method, s.key])).toEqual([
      ['POST', 'trip-1001'],
      ['GET', null],
    ])
  })

  test('gives up after `retries` and hands back the last answer; a Retry-After beyond maxDelayMs is not waited for', async () => {
    const srv = server(() => new Response('', { status: 503 }))
    stops.push(srv.stop)
    const res = await retryingFetch({ retries: 2, sleep: async () => undefined })(new Request(srv.url))
    expect(res.status).toBe(503)
    expect(srv.seen).toHaveLength(3)

    const long = server(() => new Response('', { status: 429, headers: { 'retry-after': '120' } }))
    stops.push(long.stop)
    const waits: number[] = []
    const res2 = await retryingFetch({ sleep: async (ms) => void waits.push(ms) })(new Request(long.url))
    expect(res2.status).toBe(429)
    expect(long.seen).toHaveLength(1)
    expect(waits).toEqual([])
  })

  test('other errors are not retried', async () => {
    const srv = server(() => new Response('', { status: 500 }))
    stops.push(srv.stop)
    expect((await retryingFetch({ sleep: async () => undefined })(new Request(srv.url))).status).toBe(500)
    expect(srv.seen).toHaveLength(1)
  })

  test('a refused connection is retried, then the error surfaces', async () => {
    const s = Bun.serve({ port: 0, fetch: () => new Response() })
    const url = `http://127.0.0.1:${s.port}/`
    s.stop(true)
    let slept = 0
    await expect(retryingFetch({ retries: 2, sleep: async () => void slept++ })(new Request(url))).rejects.toThrow()
    expect(slept).toBe(2)
  })

  test('backoff doubles from the base, is jittered and capped', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, 100, 1000, () => 0.999))).toEqual([99, 199, 399, 799, 999])
    expect(backoffMs(10, 100, 1000, () => 0.5)).toBe(500)
    expect(backoffMs(3, 100, 1000, () => 0)).toBe(0)
  })
})
