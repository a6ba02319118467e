/**
 * A recorded call's side of the media plane: rtpengine records from the first offer (`record
 * call`, so its metadata carries the SDPs), the durable job is written as that offer goes out,
 * both parties hear the recording notice as soon as the call is answered, and the job falls due
 * when the call ends. A recording is never made without its notice: with no notice prompt
 * available, calls are not recorded (and that is logged).
 */
import { retry } from '../../../shared/async'
import type { Logger } from '../../../shared/log'
import type { PromptFile } from '../../../shared/prompts/builtin'
import type { RecordingStore } from './recording-store'
import type { RecordingHooks } from '../../../shared/media/call-media'

/** The job row's writes are retried for about 6 s before the call goes on unrecorded. */
const STORE_RETRY = { attempts: 5, baseDelayMs: 100 }

export class CallRecordings {
  constructor(
    private readonly store: RecordingStore,
    private readonly notice: PromptFile | undefined,
    private readonly log: Logger,
  ) {}

  /** Hooks for one call, or undefined when it cannot be recorded (no notice to play). */
  forCall(c: { tenantId: string; callId: string; sessionId: string }): RecordingHooks | undefined {
    if (!this.notice) {
      this.log.error({ call_id: c.callId }, 'call not recorded: the recording notice prompt is unavailable (espeak-ng and sox are needed to make it)')
      return undefined
    }
    const { store, log } = this
    let written: Promise<boolean> = Promise.resolve(false)
    let answeredAt: Date | null = null
    let noticeAt: Date | null = null
    return {
      noticeFile: this.notice.path,
      started(rtpengine, mediaCallId) {
        written = retry(() => store.started({ tenantId: c.tenantId, callId: c.callId, sessionId: c.sessionId, rtpengine, mediaCallId }), STORE_RETRY).then(
          () => true,
          (err) => {
            // The stale-recording path cannot find a job that was never written: say so loudly.
            log.error({ err, call_id: c.callId }, 'could not write the recording job; this call will not be converted')
            return false
          },
        )
      },
      answered(at, played) {
        answeredAt = at
        noticeAt = played
      },
      ended(at) {
        void written.then(async (ok) => {
          if (!ok) return
          await retry(() => store.ended(c.callId, { answeredAt, endedAt: at, noticeFile: noticeAt ? this.noticeFile : null, noticeAt }), STORE_RETRY).catch((err) =>
            // The worker treats a job still `recording` long after its start as ended.
            log.warn({ err, call_id: c.callId }, 'could not mark the recording ended; the worker will pick it up as stale'),
          )
        })
      },
    }
  }
}
