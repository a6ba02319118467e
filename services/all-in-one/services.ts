import type { ServiceDefinition } from '../../shared/service'
import { SERVICE_NAMES, type ServiceName } from '../../shared/services'
import { callControlService } from '../call-control/service'
import { didService } from '../did/service'
import { gatewayService } from '../gateway/service'
import { identityService } from '../identity/service'
import { sessionsService } from '../sessions/service'

// A definition's `start` is typed by its own config; the runner only passes each its own.
const definitions: Record<ServiceName, ServiceDefinition> = {
  identity: identityService,
  did: didService as unknown as ServiceDefinition,
  sessions: sessionsService as unknown as ServiceDefinition,
  'call-control': callControlService as unknown as ServiceDefinition,
  gateway: gatewayService as unknown as ServiceDefinition,
}

/** Every service, in start order (shared/services.ts). */
export const ALL_SERVICES: ServiceDefinition[] = SERVICE_NAMES.map((name) => definitions[name])
