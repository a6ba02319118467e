import { startRtpengine, removeRtpengine } from './tests/support/rtpengine'
import { rtpParty, mediaOf } from './tests/support/rtp-party'
import { createLogger } from './shared/log'
import { RtpenginePool } from './shared/media/rtpengine-pool'
import { RtpengineMediaPlane } from './shared/media/call-media'
const log = createLogger({ level: 'silent' })
const r = await startRtpengine()
const pool = new RtpenginePool([r.url], { timeoutMs: 1000, pingIntervalMs: 60000, log }); await pool.start()
const m = new RtpengineMediaPlane(pool, 'x', log).open('c')
const a = await rtpParty('127.0.0.2'), b = await rtpParty('127.0.0.3')
const toB = await m.offer('caller', a.sdp()), toA = await m.answer('callee', b.sdp())
a.answerSenderReports('a'); b.answerSenderReports('b')
const ta = mediaOf(toA), tb = mediaOf(toB)
const s1 = a.streamRtp(ta.address, ta.port, 50), s2 = b.streamRtp(tb.address, tb.port, 50)
await Bun.sleep(12000)
s1.stop(); s2.stop()
console.log('rtcp got', a.rtcp.length, b.rtcp.length)
const q = await r.client.query({ 'call-id': 'x~c' })
console.log(JSON.stringify(q.SSRC).slice(0, 800))
console.log(JSON.stringify(await m.end()))
a.close(); b.close(); pool.stop(); await removeRtpengine(r)
