import { runStandalone } from '../../shared/service'
import { didService } from './service'

await runStandalone(didService)
