/**
 * The floor for the SIP benchmark: the plainest B2BUA on drachtio-srf under Bun (no bus, no
 * database, one fixed route), doing what call-control does on the wire: createB2BUA to the trunk
 * with the masked number as caller id, and either side's BYE ending the other. With
 * RTPENGINE_URL it anchors media the same way call-control does (the same media-plane code:
 * offer before the outgoing INVITE, answer on the 200 OK, cleaned SDP, delete at the end). Prints
 * `READY {"port":0}` once connected; on SIGUSR2 prints `PDD_JSON {"pdd": [ms, …]}` (INVITE
 * received → outgoing INVITE handed to drachtio, per call since the previous SIGUSR2).
 *
 *   DRACHTIO_HOST=127.0.0.1 DRACHTIO_PORT=9022 DRACHTIO_SECRET=cymru TRUNK=127.0.0.1:5070 bun bench/lib/static-b2bua.ts
 */
import Srf from 'drachtio-srf'
import { createLogger } from '../../shared/log'
import { RtpengineMediaPlane, type CallMedia } from '../../shared/media/call-media'
import { RtpenginePool } from '../../shared/media/rtpengine-pool'

const srf = new Srf()
const trunk = process.env.TRUNK!
const callingNumber = process.env.CALLING_NUMBER ?? '+12025550100'
const pdd: number[] = []
let failed = 0
let seq = 0
const log = createLogger({ level: 'warn' })
const pool = process.env.RTPENGINE_URL ? new RtpenginePool([process.env.RTPENGINE_URL], { timeoutMs: 1000, pingIntervalMs: 2000, log }) : undefined
await pool?.start()
const plane = pool ? new RtpengineMediaPlane(pool, 'static', log) : undefined

srf.connect({ host: process.env.DRACHTIO_HOST!, port: Number(process.env.DRACHTIO_PORT), secret: process.env.DRACHTIO_SECRET! } as Srf.SrfConfig)
srf.on('connect', (err) => {
  if (err) {
    process.stderr.write(`connect failed: ${err}\n`)
    process.exit(1)
  }
  process.stdout.write('READY {"port":0}\n')
})
srf.on('error', (err) => process.stderr.write(`drachtio error: ${err}\n`))

srf.invite(async (req, res) => {
  const received = performance.now()
  const user = /^sips?:([^@;]+)/.exec(req.uri)?.[1] ?? 'unknown'
  let media: CallMedia | undefined
  try {
    media = await plane?.open(`static_${++seq}`)
    const anchoring = media
      ? { localSdpB: await media.offer('caller', req.body), localSdpA: (sdp: string) => media!.answer('callee', sdp) }
      : {}
    const { uas, uac } = await (srf as unknown as { createB2BUA: (...a: unknown[]) => Promise<{ uas: Srf.Dialog; uac: Srf.Dialog }> }).createB2BUA(
      req,
      res,
      `sip:${user}@${trunk}`,
      { callingNumber, callingName: callingNumber, ...anchoring },
      { cbRequest: () => pdd.push(performance.now() - received) },
    )
    const end = () => void media?.end()
    uas.on('destroy', () => void Promise.resolve(uac.destroy()).catch(() => undefined).finally(end))
    uac.on('destroy', () => void Promise.resolve(uas.destroy()).catch(() => undefined).finally(end))
  } catch {
    failed++
    void media?.end()
    if (!res.finalResponseSent) res.send(503)
  }
})

// SIGUSR2: print the samples since the last SIGUSR2 (and start afresh), so a run can measure
// one level at a time.
process.on('SIGUSR2', () => {
  process.stdout.write(`PDD_JSON ${JSON.stringify({ pdd: pdd.splice(0), failed })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
