/**
 * The OpenAPI document exactly as the gateway serves it: the gateway service started in this
 * process on the in-process bus (the document needs no other service and no database), asked
 * for /openapi.json over HTTP.
 */
import { gatewayService } from '../../../services/gateway/service'
import { connectBus } from '../../../shared/bus/connect'
import { serviceLogger } from '../../../shared/log'
import { loadServiceConfig } from '../../../shared/service'

export async function servedDocument(): Promise<Record<string, unknown>> {
  const config = loadServiceConfig(gatewayService, { PORT: '0', LOG_LEVEL: 'error', ADMIN_TOKEN: 'document-only-admin-token' })
  const bus = await connectBus({ prefix: 'sdk-document', service: 'sdk-document' })
  const gateway = await gatewayService.start({ bus, log: serviceLogger('gateway', 'error'), config })
  try {
    const res = await fetch(`http://127.0.0.1:${gateway.port}/openapi.json`)
    if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`)
    return (await res.json()) as Record<string, unknown>
  } finally {
    await gateway.stop()
    await bus.drain()
  }
}
