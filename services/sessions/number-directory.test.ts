/** The read model against a stand-in did on the in-process bus: paging, events, races, TTL. */
import { describe, expect, test } from 'bun:test'
import { Bus } from '../../shared/bus/bus'
import { InProcessTransport } from '../../shared/bus/in-process-transport'
import { did, type NumberState } from '../../shared/contracts/did'
import { AppError } from '../../shared/errors'
import { NumberDirectory } from './number-directory'

const state = (e164: string, tenant = 'ten_a', status: NumberState['status'] = 'active'): NumberState => ({
  e164,
  did_id: `did_${e164}`,
  assignment_id: `asg_${e164}`,
  tenant_id: tenant,
  country: 'US',
  status,
})

let prefixes = 0
function fakeDid(held: NumberState[]) {
  // A prefix of its own: the in-process broker is shared by every bus in this process.
  const bus = new Bus(new InProcessTransport(), { prefix: `dir${++prefixes}`, service: 'test' })
  const calls = { pages: 0, lookups: 0 }
  let beforeReply: () => void = () => undefined
  bus.serve(did.tenantNumbers, async ({ tenant_id, after, limit }) => {
    calls.pages++
    beforeReply()
    const mine = held.filter((n) => n.tenant_id === tenant_id && (!after || n.did_id > after)).sort((a, b) => (a.did_id < b.did_id ? -1 : 1))
    return { tenant_id, numbers: mine.slice(0, limit ?? 1000) }
  })
  bus.serve(did.lookupNumber, async ({ e164 }) => {
    calls.lookups++
    const n = held.find((x) => x.e164 === e164)
    if (!n) throw new AppError('did_not_found', 'no')
    return { e164, did_id: n.did_id, country: n.country, holder: n.tenant_id ? n : null }
  })
  return { bus, calls, held, onFetch: (f: () => void) => (beforeReply = f) }
}

const change = (n: NumberState, status: 'active' | 'suspended' | 'released') => ({
  tenant_id: n.tenant_id,
  assignment_id: n.assignment_id,
  did_id: n.did_id,
  e164: n.e164,
  country: n.country,
  status,
  changed_at: new Date().toISOString(),
})

describe('NumberDirectory', () => {
  test('loads a tenant page by page, once, then serves from memory', async () => {
    const held = Array.from({ length: 7 }, (_, i) => state(`+120255501${i}0`))
    const d = fakeDid([...held, state('+12025559999', 'ten_b')])
    const dir = new NumberDirectory(d.bus, 60_000, undefined, 3)
    const [x, y] = await Promise.all([dir.numbersOf('ten_a'), dir.numbersOf('ten_a')])
    expect([...x.numbers.keys()].sort()).toEqual(held.map((n) => n.e164).sort())
    expect(y.version).toBe(x.version)
    expect(d.calls.pages).toBe(3) // 3 + 3 + 1, once for both callers
    await dir.numbersOf('ten_a')
    expect(d.calls.pages).toBe(3)
    // the tenant load also answers holderOf without a lookup
    expect(await dir.holderOf(held[0]!.e164)).toMatchObject({ tenant_id: 'ten_a', status: 'active' })
    expect(d.calls.lookups).toBe(0)
  })

  test('change events update the loaded model and bump its version; numbers move between tenants', async () => {
    const n = state('+12025550200')
    const d = fakeDid([n])
    const dir = new NumberDirectory(d.bus, 60_000)
    const v1 = (await dir.numbersOf('ten_a')).version
    await dir.numbersOf('ten_b')
    dir.apply(change(n, 'suspended'))
    const after = await dir.numbersOf('ten_a')
    expect(after.numbers.get(n.e164)?.status).toBe('suspended')
    expect(after.version).not.toBe(v1)
    expect((await dir.holderOf(n.e164))?.status).toBe('suspended')
    dir.apply(change(n, 'released'))
    expect((await dir.numbersOf('ten_a')).numbers.has(n.e164)).toBe(false)
    expect(await dir.holderOf(n.e164)).toBeNull()
    dir.apply(change({ ...n, tenant_id: 'ten_b', assignment_id: 'asg_2' }, 'active'))
    expect((await dir.numbersOf('ten_b')).numbers.get(n.e164)?.assignment_id).toBe('asg_2')
    expect((await dir.holderOf(n.e164))?.tenant_id).toBe('ten_b')
    expect(d.calls.lookups).toBe(0)
  })

  test('an event arriving while a load is under way makes it fetch again, so the older answer never wins', async () => {
    const n = state('+12025550300')
    const d = fakeDid([n])
    const dir = new NumberDirectory(d.bus, 60_000)
    let first = true
    d.onFetch(() => {
      if (!first) return
      first = false
      // did answers with the old state, but the suspension event overtakes the reply
      dir.apply(change(n, 'suspended'))
      d.held[0] = { ...n, status: 'suspended' }
    })
    const got = await dir.numbersOf('ten_a')
    expect(got.numbers.get(n.e164)?.status).toBe('suspended')
    expect(d.calls.pages).toBe(2)
  })

  test('unknown numbers are looked up once and remembered, including "not in the pool"', async () => {
    const n = state('+12025550400')
    const d = fakeDid([n])
    const dir = new NumberDirectory(d.bus, 60_000)
    expect(await dir.holderOf(n.e164)).toMatchObject({ tenant_id: 'ten_a' })
    expect(await dir.holderOf('+12025550499')).toBeNull()
    await dir.holderOf(n.e164)
    await dir.holderOf('+12025550499')
    expect(d.calls.lookups).toBe(2)
  })

  test('past the TTL, entries are served stale once and refreshed in the background (a missed event heals)', async () => {
    const n = state('+12025550500')
    const d = fakeDid([n])
    const dir = new NumberDirectory(d.bus, 50)
    await dir.numbersOf('ten_a')
    d.held[0] = { ...n, status: 'suspended' } // changed in did, event lost
    await Bun.sleep(60)
    expect((await dir.numbersOf('ten_a')).numbers.get(n.e164)?.status).toBe('active')
    await Bun.sleep(20)
    const healed = await dir.numbersOf('ten_a')
    expect(healed.numbers.get(n.e164)?.status).toBe('suspended')
    // a refresh that finds nothing new keeps the version (no ranking rebuild)
    await Bun.sleep(60)
    await dir.numbersOf('ten_a')
    await Bun.sleep(20)
    expect((await dir.numbersOf('ten_a')).version).toBe(healed.version)
  })

  test('clear (after a reconnect) forgets everything: the next use asks did again and sees what changed meanwhile', async () => {
    const n = state('+12025550177')
    const d = fakeDid([n])
    const dir = new NumberDirectory(d.bus, 60_000)
    expect((await dir.holderOf(n.e164))?.status).toBe('active')
    expect((await dir.numbersOf('ten_a')).numbers.get(n.e164)?.status).toBe('active')
    const [pages, lookups] = [d.calls.pages, d.calls.lookups]
    // Suspended while the connection was down: its event was missed.
    d.held[0] = { ...n, status: 'suspended' }
    expect((await dir.holderOf(n.e164))?.status).toBe('active') // still the old view within the TTL
    dir.clear()
    expect((await dir.holderOf(n.e164))?.status).toBe('suspended')
    expect((await dir.numbersOf('ten_a')).numbers.get(n.e164)?.status).toBe('suspended')
    expect(d.calls.lookups + d.calls.pages).toBeGreaterThan(pages + lookups)
  })
})
