/**
 * drachtio-srf at arm's length. Its bundled types lack some of what it does: the reconnect
 * option, the 'close' and 'reconnecting' events, the per-method handlers besides invite(), and
 * addDialog (which dialog-guard.ts wraps). Its class is exported with `export =`, which a module
 * augmentation cannot extend, so they are `SrfExtras`, given once to the Srf the agent creates.
 *
 * And the one place that writes drachtio-srf's private state. The library has no "stop
 * reconnecting": after disconnect() a pending retry timer would open a fresh connection. So the
 * wire is marked closing and its retry timer cleared. srf-internals.test.ts checks these fields
 * on a real Srf, and fails when an upgrade renames them.
 */
import type Srf from 'drachtio-srf'
import SrfClass from 'drachtio-srf'
import type { Socket } from 'node:net'

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void

export interface SrfExtras {
  /** With `reconnect` it answers nothing: progress is told by the 'connect' event. */
  connect(config: Srf.SrfConfig & { reconnect?: { retryMaxDelay?: number } }): unknown
  on(event: 'close' | 'reconnecting', listener: (...args: unknown[]) => void): unknown
  options(handler: Handler): void
  register(handler: Handler): void
  subscribe(handler: Handler): void
  message(handler: Handler): void
  publish(handler: Handler): void
  notify(handler: Handler): void
  info(handler: Handler): void
  /** Every dialog the library makes passes here (its internal registry). */
  addDialog(dialog: object): void
}

/** The Srf the agent uses, with what the library does but does not declare. */
export type FullSrf = Srf & SrfExtras

export const newSrf = (): FullSrf => new SrfClass() as FullSrf

export interface WireState {
  closing?: boolean
  socket?: Socket
  reconnectVars?: { retryTimer?: ReturnType<typeof setTimeout> | null }
}

/** The connection's private wire state, if it has one yet. */
export function wireOf(srf: Srf): WireState | undefined {
  return (srf as unknown as { _app?: { client?: { wp?: WireState } } })._app?.client?.wp
}

/** Stops the library's reconnect loop; returns the wire (for its socket) or undefined. */
export function stopReconnecting(srf: Srf): WireState | undefined {
  const wp = wireOf(srf)
  if (wp) {
    wp.closing = true
    if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer)
    if (wp.reconnectVars) wp.reconnectVars.retryTimer = null
  }
  return wp
}
