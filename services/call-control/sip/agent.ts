/**
 * The connection to drachtio-server (the SIP engine: transactions, dialogs, transports) and what
 * arrives on it. drachtio-srf reconnects by itself with a backoff (capped here at 5 s); we track
 * whether we are connected for /ready and for originate's 503 `sip_unavailable`.
 */
import Srf from 'drachtio-srf'
import type { Logger } from '../../../shared/log'
import { sipConnected, sipRequestsRefused } from '../metrics'
import { ALLOW, guardDialogs } from './dialog-guard'
import { drachtioDialer, type TrunkAuth } from './drachtio-port'
import { newSrf, stopReconnecting, type FullSrf } from './srf-internals'
import type { Dialer } from './legs'
import type { TrustedSources } from './trusted-sources'

export interface SipAgentOptions {
  host: string
  port: number
  secret: string
  log: Logger
  /** Who may send us requests (INVITE, OPTIONS, and inside dialogs besides the dialog's own peer). */
  trusted: TrustedSources
  /** Digest credentials for the trunk, if it challenges. */
  auth?: TrunkAuth
  /** True while this instance drains: OPTIONS then answers 503, so carriers route new calls elsewhere. */
  draining?: () => boolean
  onInvite(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void>
}

export class SipAgent {
  readonly srf: FullSrf
  readonly dialer: Dialer
  private isConnected = false
  private stopped = false

  constructor(private readonly o: SipAgentOptions) {
    this.srf = newSrf()
    this.dialer = drachtioDialer(this.srf, o.auth)
    guardDialogs(this.srf, {
      trusted: (a) => o.trusted.includes(a),
      refused: (method, why) => sipRequestsRefused.inc({ method, why }),
    })
    this.srf.on('connect', (err, hostPort) => {
      if (err) {
        this.setConnected(false)
        o.log.error({ err: err.message }, 'drachtio-server refused the connection (check DRACHTIO_SECRET)')
        return
      }
      this.setConnected(true)
      o.log.info({ drachtio: `${o.host}:${o.port}`, sip: hostPort }, 'connected to drachtio-server')
    })
    // 'error' must have a listener, or the library's socket errors would be thrown.
    this.srf.on('error', (err) => {
      if (this.isConnected) o.log.warn({ err: err.message }, 'drachtio connection error')
      this.setConnected(false)
    })
    this.srf.on('close', () => {
      if (this.isConnected && !this.stopped) o.log.warn('lost the drachtio-server connection; reconnecting')
      this.setConnected(false)
    })
    // Carriers probe with OPTIONS and take the route out of service on no answer or a 503.
    this.srf.options((req, res) => {
      if (o.trusted.includes(req.source_address)) res.send(o.draining?.() ? 503 : 200, { headers: { Allow: ALLOW } })
      else {
        sipRequestsRefused.inc({ method: 'OPTIONS', why: 'untrusted_source' })
        res.send(403)
      }
    })
    // Outside a dialog only INVITE and OPTIONS mean anything here; the other methods drachtio-server
    // hands us get 405 (it drops REFER and unknown methods itself, unanswered).
    for (const m of ['register', 'subscribe', 'message', 'publish', 'notify', 'info'] as const) {
      this.srf[m]((req, res) => {
        sipRequestsRefused.inc({ method: req.method, why: 'method_not_allowed' })
        res.send(405, { headers: { Allow: ALLOW } } as never)
      })
    }
    this.srf.invite((req, res) => {
      o.onInvite(this.srf, req, res).catch((err) => {
        o.log.error({ err, sip_call_id: req.get('Call-ID') }, 'inbound call handler failed')
        if (!res.finalResponseSent) res.send(500)
      })
    })
  }

  get connected(): boolean {
    return this.isConnected && !this.stopped
  }

  start(): void {
    this.o.log.info({ drachtio: `${this.o.host}:${this.o.port}` }, 'connecting to drachtio-server')
    this.srf.connect({ host: this.o.host, port: this.o.port, secret: this.o.secret, reconnect: { retryMaxDelay: 5000 } })
  }

  stop(): void {
    this.stopped = true
    this.setConnected(false)
    const wp = stopReconnecting(this.srf)
    try {
      this.srf.disconnect()
    } catch {
      // not connected at the moment
    }
    if (wp?.socket && !wp.socket.destroyed) wp.socket.destroy()
  }

  private setConnected(v: boolean): void {
    this.isConnected = v
    sipConnected.set(v ? 1 : 0)
  }
}
