import { runStandalone } from '../../shared/service'
import { callControlService } from './service'

await runStandalone(callControlService)
