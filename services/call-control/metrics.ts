/** call-control's Prometheus metrics, on the process-wide registry (served at /metrics). */
import { promClient, registry } from '../../shared/metrics'

export const sipCalls = new promClient.Counter({
  name: 'sip_calls_total',
  help: 'Calls by direction and how they were handled (bridged, or the refusal status)',
  labelNames: ['direction', 'outcome'] as const,
  registers: [registry],
})

export const postDialDelay = new promClient.Histogram({
  name: 'sip_post_dial_delay_seconds',
  help: 'Delay added by call-control: inbound INVITE received → outgoing INVITE handed to drachtio',
  labelNames: ['direction'] as const,
  buckets: [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.05, 0.1, 0.25, 1],
  registers: [registry],
})

export const liveCalls = new promClient.Gauge({
  name: 'sip_live_calls',
  help: 'Calls in progress on this instance',
  registers: [registry],
})

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
