/** call-control's Prometheus metrics, on the process-wide registry (served at /metrics). */
import { promClient, registry } from '../../shared/metrics'

export const sipCalls = new promClient.Counter({
  name: 'sip_calls_total',
  help: 'Calls by direction and how they were handled (bridged, or the refusal status)',
  labelNames: ['direction', 'outcome'] as const,
  registers: [registry],
})

export const sipCallsLimited = new promClient.Counter({
  name: 'sip_calls_limited_total',
  help: 'Calls refused by a per-tenant limit (inbound: SIP 486; originate: 429), by direction and limit',
  labelNames: ['direction', 'limit'] as const,
  registers: [registry],
})

export const sipRequestsRefused = new promClient.Counter({
  name: 'sip_requests_refused_total',
  help: 'SIP requests other than new INVITEs refused (untrusted source 403, REFER 403, method 405), by method and why',
  labelNames: ['method', 'why'] as const,
  registers: [registry],
})

export const postDialDelay = new promClient.Histogram({
  name: 'sip_post_dial_delay_seconds',
  help: 'Delay added by call-control: inbound INVITE received → outgoing INVITE handed to drachtio',
  labelNames: ['direction'] as const,
  buckets: [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.0075, 0.009, 0.01, 0.0125, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1],
  registers: [registry],
})

/** Where `sip_live_calls` reads its figure at scrape time (the running service's call registry). */
let liveCount: () => number = () => 0

export const liveCalls = new promClient.Gauge({
  name: 'sip_live_calls',
  help: 'Calls in progress on this instance',
  registers: [registry],
  collect() {
    this.set(liveCount())
  },
})

/** Makes `sip_live_calls` report `count()` at each scrape. */
export function countLiveCallsWith(count: () => number): void {
  liveCount = count
}

export const sipConnected = new promClient.Gauge({
  name: 'sip_drachtio_connected',
  help: '1 while connected to drachtio-server',
  registers: [registry],
})

export const callbackAttempts = new promClient.Counter({
  name: 'callback_attempts_total',
  help: 'State callback attempts by outcome (delivered, retry, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
})

export const recordBatches = new promClient.Histogram({
  name: 'call_record_batch_seconds',
  help: 'Call record batches written (one transaction each), by how long the write took',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
})

export const recordBatchSize = new promClient.Histogram({
  name: 'call_record_batch_size',
  help: 'Inserts and state changes per call record batch',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  registers: [registry],
})
