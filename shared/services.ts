/**
 * The platform's services, in start order (the gateway last, so it opens when the rest can
 * answer). The one list the launchers, the all-in-one process and the deployment checks share.
 */
export const SERVICE_NAMES = ['identity', 'did', 'sessions', 'call-control', 'gateway'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

export function isServiceName(v: unknown): v is ServiceName {
  return typeof v === 'string' && (SERVICE_NAMES as readonly string[]).includes(v)
}
