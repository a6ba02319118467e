/** gateway.* events: gateways tell each other what their tenants spent (shared rate limits, ADR 0007). */
import { Type as T } from '@sinclair/typebox'
import { event } from './define'

export const gateway = {
  usageReported: event(
    'gateway.usage.reported',
    T.Object({
      /** The reporting gateway (it ignores its own reports). */
      gateway_id: T.String({ maxLength: 64 }),
      usage: T.Array(
        T.Object({
          tenant_id: T.String({ maxLength: 64 }),
          /** Requests admitted since the previous report. */
          used: T.Integer({ minimum: 1 }),
          rate_per_second: T.Number({ exclusiveMinimum: 0 }),
          burst: T.Number({ exclusiveMinimum: 0 }),
        }),
        { maxItems: 100_000 },
      ),
    }),
  ),
}
