/**
 * call-control's environment. SIP is on only when DRACHTIO_HOST is set; then a trunk to send
 * calls to is required. Every value is checked at start and a bad one stops the process with one
 * line naming the variable.
 */
import { Type as T } from '@sinclair/typebox'
import { isSupportedCountry } from 'libphonenumber-js'
import { checkedString, ConfigError } from '../../shared/config'
import type { ConfigOf } from '../../shared/service'
import { parseCidrList } from './sip/trusted-sources'
import { parseTrunk } from './sip/trunk'

const problemOf = (check: () => unknown) => () => {
  try {
    check()
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

export const callControlConfig = {
  DRACHTIO_HOST: T.Optional(T.String({ minLength: 1, maxLength: 253 })),
  DRACHTIO_PORT: T.Integer({ default: 9022, minimum: 1, maximum: 65535 }),
  DRACHTIO_SECRET: T.String({ default: 'cymru', minLength: 1, description: 'must not be empty' }),
  SIP_OUTBOUND_TRUNK: T.Optional(checkedString((v) => problemOf(() => parseTrunk(v))())),
  SIP_TRUSTED_SOURCES: checkedString((v) => problemOf(() => parseCidrList(v))(), { default: '' }),
  RING_TIMEOUT_S: T.Integer({ default: 60, minimum: 1, maximum: 600 }),
  MAX_CALL_SECONDS: T.Integer({ default: 3600, minimum: 10, maximum: 86400 }),
  /** How long a stopping instance waits for live calls to end before hanging them up. */
  SIP_DRAIN_TIMEOUT_S: T.Integer({ default: 30, minimum: 0, maximum: 86400 }),
  CALLBACK_ALLOW_PRIVATE: T.Boolean({ default: false }),
  /** Where prompts are written for rtpengine to play (built-in ones generated under builtin/ at first start); rtpengine must read the same path. */
  PROMPTS_DIR: T.String({ default: './data/prompts', minLength: 1, description: 'must be a directory path' }),
  DEFAULT_REGION: T.Optional(
    checkedString((v) => (/^[A-Z]{2}$/.test(v) && isSupportedCountry(v) ? undefined : 'must be an ISO 3166 two-letter region code such as US or GB')),
  ),
}

export type CallControlConfig = ConfigOf<typeof callControlConfig>

/** Checks that involve several variables (the per-variable ones ran at parse time). */
export function checkSipConfig(c: Pick<CallControlConfig, 'DRACHTIO_HOST' | 'SIP_OUTBOUND_TRUNK'>): void {
  if (c.DRACHTIO_HOST && !c.SIP_OUTBOUND_TRUNK) {
    throw new ConfigError('SIP_OUTBOUND_TRUNK', 'is required when DRACHTIO_HOST is set (host[:port][;transport=udp|tcp|tls])')
  }
}
