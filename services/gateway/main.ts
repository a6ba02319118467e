import { runStandalone } from '../../shared/service'
import { gatewayService } from './service'

await runStandalone(gatewayService)
