/** Media-plane metrics (rtpengine health and per-call media quality), on the process registry. */
import { promClient, registry } from '../metrics'

export const rtpengineUp = new promClient.Gauge({
  name: 'rtpengine_up',
  help: '1 while the rtpengine instance answers ping',
  labelNames: ['instance'] as const,
  registers: [registry],
})

export const mediaRequests = new promClient.Histogram({
  name: 'rtpengine_request_seconds',
  help: 'rtpengine ng requests by command and outcome (ok, error, timeout)',
  labelNames: ['command', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
  registers: [registry],
})

export const mediaPackets = new promClient.Histogram({
  name: 'call_media_packets',
  help: 'RTP packets per call leg direction, from rtpengine at call end (direction: from_caller, from_callee)',
  labelNames: ['direction'] as const,
  buckets: [0, 10, 100, 500, 1000, 5000, 10000, 50000, 100000, 500000],
  registers: [registry],
})

export const mediaLoss = new promClient.Histogram({
  name: 'call_media_loss_ratio',
  help: 'Packet loss per call direction reported by RTCP (0-1)',
  labelNames: ['direction'] as const,
  buckets: [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
  registers: [registry],
})

export const mediaJitter = new promClient.Histogram({
  name: 'call_media_jitter_ms',
  help: 'Interarrival jitter per call direction reported by RTCP, milliseconds',
  labelNames: ['direction'] as const,
  buckets: [1, 2, 5, 10, 20, 30, 50, 100, 200],
  registers: [registry],
})

export const mediaMos = new promClient.Histogram({
  name: 'call_media_mos',
  help: 'MOS per call direction computed by rtpengine from RTCP (1-5)',
  labelNames: ['direction'] as const,
  buckets: [1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4, 5],
  registers: [registry],
})

export const mediaTimeouts = new promClient.Counter({
  name: 'call_media_timeouts_total',
  help: 'Calls ended because media stopped both ways for MEDIA_TIMEOUT_S',
  registers: [registry],
})
