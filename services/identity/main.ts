import { runStandalone } from '../../shared/service'
import { identityService } from './service'

await runStandalone(identityService)
