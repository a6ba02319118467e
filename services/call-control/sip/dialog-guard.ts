/**
 * Every dialog drachtio-srf creates passes through here before any in-dialog request can reach
 * it (we wrap `Srf#addDialog`, which runs synchronously as the 200 OK goes out or comes in):
 * - in-dialog requests are honoured only from a trusted source or the dialog's own peer
 *   address; anything else gets 403 and changes nothing (a stranger who learnt the dialog's
 *   Call-ID and tags cannot move the media or end the call);
 * - REFER is refused (no transfer out of a session, ever); methods we do not relay get 405;
 *   OPTIONS is answered here;
 * - a stranger's BYE cannot be undone (drachtio-server drops the dialog on any BYE before asking
 *   us), so the call is ended on our side with its own reason (never `caller_hangup`); only a
 *   firewall in front of drachtio (the trunk alone may reach its SIP port) prevents that;
 * - the caller's ACK is noted as it arrives, so a BYE right behind it (handled before the call
 *   session attached its listeners) still finds the call answered, and a dialog that dies
 *   without an ACK is told apart from a hangup.
 */
import type { FullSrf } from './srf-internals'

/** The methods call-control takes (OPTIONS out of dialog, the rest inside one). */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK'
const IN_DIALOG = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'INFO', 'PRACK', 'OPTIONS'])

interface Msg {
  method: string
  source_address?: string
  meta?: { source?: string }
}
interface Res {
  send(status: number, opts?: object): void
}
export interface GuardedDialog {
  type: 'uas' | 'uac'
  req: Msg
  res?: { source_address?: string }
  handle(req: Msg, res: Res, next?: unknown): void
}

export interface DialogMarks {
  acked: boolean
  ackWaiters: (() => void)[]
  /**
   * drachtio-server forgets a dialog the moment any BYE for it arrives, before we can refuse it:
   * after a stranger's BYE the far end can no longer reach us in this dialog. Told once.
   */
  lost?: () => void
}

const marks = new WeakMap<object, DialogMarks>()

/** What the guard noted about a dialog (undefined for one it never saw). */
export function marksOf(d: object): DialogMarks | undefined {
  return marks.get(d)
}

export interface GuardOptions {
  trusted(address: string): boolean
  /** Told of each refused request (counted, not logged one by one: strangers must not flood the log). */
  refused(method: string, why: 'untrusted_source' | 'refer' | 'method_not_allowed'): void
}

export function guardDialogs(srf: FullSrf, o: GuardOptions): void {
  const add = srf.addDialog.bind(srf)
  srf.addDialog = (d) => {
    guard(d as GuardedDialog, o)
    add(d)
  }
}

function guard(d: GuardedDialog, o: GuardOptions): void {
  // The far end's address as the dialog began: the INVITE's source (we are UAS) or the 200's (UAC).
  const peer = d.type === 'uas' ? d.req.source_address : d.res?.source_address
  const m: DialogMarks = { acked: d.type !== 'uas', ackWaiters: [] }
  marks.set(d, m)
  const handle = d.handle.bind(d)
  d.handle = (req, res, next) => {
    const source = req.source_address
    // drachtio-server's own requests (e.g. its BYE when an ACK never came) carry source "application".
    const local = req.meta?.source === 'application'
    if (!local && !(source && (source === peer || o.trusted(source)))) {
      o.refused(req.method, 'untrusted_source')
      if (req.method !== 'ACK') res.send(403)
      if (req.method === 'BYE') {
        const lost = m.lost
        m.lost = undefined
        lost?.()
      }
      return
    }
    switch (req.method) {
      case 'ACK':
        if (!m.acked) {
          m.acked = true
          for (const w of m.ackWaiters.splice(0)) w()
        }
        break
      case 'REFER':
        o.refused(req.method, 'refer')
        res.send(403)
        return
      case 'OPTIONS':
        res.send(200, { headers: { Allow: ALLOW } })
        return
      default:
        if (!IN_DIALOG.has(req.method)) {
          o.refused(req.method, 'method_not_allowed')
          res.send(405, { headers: { Allow: ALLOW } })
          return
        }
    }
    handle(req, res, next)
  }
}
