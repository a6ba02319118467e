import { runStandalone } from '../../shared/service'
import { sessionsService } from './service'

await runStandalone(sessionsService)
