/**
 * What the deployment files must agree with, read from the services themselves: each service's
 * definition (name, default port, whether it has a database) and the environment variables it
 * reads (shared CommonConfig + PORT + its own config). Used by the compose, Kubernetes and
 * container checks, so a renamed variable or port fails a test instead of a deployment.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Type as T, type TObject } from '@sinclair/typebox'
import { CommonConfig, parseConfig } from '../shared/config'
import type { ServiceDefinition } from '../shared/service'
import { SERVICE_NAMES, type ServiceName } from '../shared/services'

export const ROOT = join(import.meta.dir, '..')
export { isServiceName, SERVICE_NAMES, type ServiceName } from '../shared/services'

/** Read by the container, not by a service's config: the entry point and shared/version.ts. */
export const RUNTIME_VARS = ['SERVICE', 'NODE_ENV', 'APP_VERSION'] as const

export interface ServiceInfo {
  name: ServiceName
  defaultPort: number
  hasDatabase: boolean
  /** Every variable the process reads. */
  envNames: Set<string>
  /** Parses an environment with the service's own schema; returns the problem, if any. */
  checkEnv(env: Record<string, string | undefined>): string | undefined
}

function isDefinition(v: unknown, name: string): v is ServiceDefinition {
  const d = v as Partial<ServiceDefinition> | undefined
  return !!d && typeof d === 'object' && d.name === name && typeof d.start === 'function' && typeof d.defaultPort === 'number'
}

/** The services whose `services/<name>/service.ts` exists, with what the checks need. */
export async function loadServiceCatalog(): Promise<Map<ServiceName, ServiceInfo>> {
  const out = new Map<ServiceName, ServiceInfo>()
  for (const name of SERVICE_NAMES) {
    const file = join(ROOT, 'services', name, 'service.ts')
    if (!existsSync(file)) continue
    const mod = (await import(file)) as Record<string, unknown>
    const def = Object.values(mod).find((v) => isDefinition(v, name))
    if (!def) throw new Error(`${file} exports no service definition named ${name}`)
    const props = { ...CommonConfig, PORT: T.Integer({ default: def.defaultPort, minimum: 0, maximum: 65535 }), ...def.config }
    const schema = T.Object(props) as TObject
    out.set(name, {
      name,
      defaultPort: def.defaultPort,
      hasDatabase: def.migrations !== undefined,
      envNames: new Set([...Object.keys(props), ...RUNTIME_VARS]),
      checkEnv(env) {
        try {
          parseConfig(schema, env)
          return undefined
        } catch (e) {
          return (e as Error).message
        }
      },
    })
  }
  return out
}
