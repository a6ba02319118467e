import { InProcessTransport } from './in-process-transport'
import { NatsTransport } from './nats-transport'
import { busContractSuite } from './bus.contract'
import { NATS_URL, probeInfra, uniquePrefix, IN_CI } from '../../tests/support/infra'

busContractSuite('in-process', async () => new InProcessTransport(), () => uniquePrefix('bus'))

const infra = await probeInfra()
if (infra.nats || IN_CI) {
  busContractSuite('nats', () => NatsTransport.connect({ servers: NATS_URL, name: 'bus-contract' }), () => uniquePrefix('bus'))
} else {
  console.warn('!!! NATS not reachable: the NATS run of the bus contract suite is not run (CI always runs it)')
}
