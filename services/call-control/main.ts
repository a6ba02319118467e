import { failOnConfigError } from '../../shared/config'
import { loadServiceConfig, runStandalone } from '../../shared/service'
import { checkSipConfig } from './config'
import { callControlService } from './service'

// Checks across variables first, so a bad combination stops the process before it touches anything.
failOnConfigError(() => checkSipConfig(loadServiceConfig(callControlService)))
await runStandalone(callControlService)
