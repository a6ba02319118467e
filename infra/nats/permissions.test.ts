/**
 * The NATS permissions cover what each service's code does on the bus: every `request`,
 * `publish`, `serve` and `subscribe` of a contract in services/<name>/ (outside tests) is allowed
 * to that service's user, so a new subject cannot ship without its permission.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { calls } from '../../shared/contracts/calls'
import { did } from '../../shared/contracts/did'
import { gateway } from '../../shared/contracts/gateway'
import { identity } from '../../shared/contracts/identity'
import { sessions } from '../../shared/contracts/sessions'
import { NATS_USERS, permissionsWithoutPrefix, type NatsUser } from './permissions'

const ROOT = join(import.meta.dir, '../..')
const CONTRACTS: Record<string, Record<string, { subject: string }>> = { identity, did, sessions, calls, gateway }

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return sources(p)
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : []
  })
}

/** [verb, subject] pairs a service's code uses; `contract` is how sessions names its own contracts. */
function usages(service: NatsUser): [string, string][] {
  const out: [string, string][] = []
  for (const file of sources(join(ROOT, 'services', service))) {
    const text = readFileSync(file, 'utf8')
    const alias = /import \{ sessions as contract/.test(text) ? { contract: 'sessions' } : {}
    for (const m of text.matchAll(/\.(request|publish|serve|subscribe)\(\s*(identity|did|sessions|calls|gateway|contract)\.([A-Za-z]+)/g)) {
      const ns = (alias as Record<string, string>)[m[2]!] ?? m[2]!
      const c = CONTRACTS[ns]?.[m[3]!]
      if (c) out.push([m[1]!, c.subject])
    }
  }
  return out
}

describe('NATS permissions match the code', () => {
  const perms = permissionsWithoutPrefix()
  for (const user of NATS_USERS) {
    test(`${user}: everything it sends and hears is allowed`, () => {
      const found = usages(user)
      expect(found.length).toBeGreaterThan(3)
      const missing = found.filter(([verb, subject]) => !(verb === 'request' || verb === 'publish' ? perms[user].publish : perms[user].subscribe).includes(subject))
      expect(missing).toEqual([])
    })
  }
})

test('erasures reach sessions and call-control only through identity (which audits them), never from the gateway', () => {
  const perms = permissionsWithoutPrefix()
  for (const subject of [sessions.erasePhone.subject, calls.erasePhone.subject]) {
    expect(perms.identity.publish).toContain(subject)
    expect(perms.gateway.publish).not.toContain(subject)
  }
  expect(perms.gateway.publish).toContain(identity.erasePhone.subject)
})
