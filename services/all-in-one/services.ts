import type { ServiceDefinition } from '../../shared/service'
import { callControlService } from '../call-control/service'
import { gatewayService } from '../gateway/service'
import { didService } from '../did/service'
import { identityService } from '../identity/service'
import { sessionsService } from '../sessions/service'

/** Every service, in start order: the gateway last, so it opens when the rest can answer. */
export const ALL_SERVICES: ServiceDefinition[] = [
  identityService,
  didService as unknown as ServiceDefinition,
  sessionsService as unknown as ServiceDefinition,
  callControlService as unknown as ServiceDefinition,
  gatewayService as unknown as ServiceDefinition,
]
