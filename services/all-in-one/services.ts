import type { ServiceDefinition } from '../../shared/service'
import { gatewayService } from '../gateway/service'
import { identityService } from '../identity/service'

/** Every service, in start order: the gateway last, so it opens when the rest can answer. */
export const ALL_SERVICES: ServiceDefinition[] = [identityService, gatewayService as unknown as ServiceDefinition]
