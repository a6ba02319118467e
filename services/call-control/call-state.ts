/**
 * The call record's state rules, without I/O: which changes are allowed, what each one sets, and
 * which callback event it reports. A record goes initiated → (ringing) → (answered) → an end
 * state, and never leaves an end state; late or repeated signals are ignored rather than errors,
 * because SIP legs report in whatever order the network delivers.
 */
import { TERMINAL_STATUSES, type CallbackEvent, type CallMediaStats, type CallStatus } from '../../shared/contracts/calls'

export type EndStatus = 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled'

export type CallChange =
  | { kind: 'ringing'; at: Date }
  | { kind: 'answered'; at: Date }
  | { kind: 'ended'; status: EndStatus; reason: string; at: Date; media?: CallMediaStats }

export interface CallTimes {
  status: CallStatus
  createdAt: Date
  ringingAt: Date | null
  answeredAt: Date | null
}

export interface CallPatch {
  status: CallStatus
  ringingAt?: Date
  answeredAt?: Date
  endedAt?: Date
  durationSeconds?: number
  endReason?: string
  media?: CallMediaStats
}

export const isTerminal = (s: CallStatus) => TERMINAL_STATUSES.includes(s)

/** The patch a change makes to a record, or null when the change no longer applies. */
export function applyChange(current: CallTimes, change: CallChange): CallPatch | null {
  if (isTerminal(current.status)) return null
  switch (change.kind) {
    case 'ringing':
      return current.status === 'initiated' ? { status: 'ringing', ringingAt: change.at } : null
    case 'answered':
      return current.status === 'initiated' || current.status === 'ringing' ? { status: 'answered', answeredAt: change.at } : null
    case 'ended': {
      const answered = current.status === 'answered'
      // An answered call always ends `completed` (the reason says how); an unanswered one cannot.
      const status: EndStatus = answered ? 'completed' : change.status === 'completed' ? 'canceled' : change.status
      const endedAt = change.at < current.createdAt ? current.createdAt : change.at
      return {
        status,
        endedAt,
        durationSeconds: answered && current.answeredAt ? durationSeconds(current.answeredAt, endedAt) : 0,
        endReason: change.reason,
        ...(change.media ? { media: change.media } : {}),
      }
    }
  }
}

export function durationSeconds(answeredAt: Date, endedAt: Date): number {
  return Math.max(0, Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000))
}

/** The callback event a status reports: every end state is `completed`. */
export function callbackEventOf(status: CallStatus): CallbackEvent {
  return isTerminal(status) ? 'completed' : (status as CallbackEvent)
}
