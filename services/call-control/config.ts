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
import { parseRtpengineUrls } from '../../shared/media/rtpengine-pool'
import { parseKey } from '../../shared/secret-box'

function keyProblem(v: string): string | undefined {
  try {
    parseKey(v)
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

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
  // No default: drachtio-server's well-known sample secret would let anyone drive our SIP engine.
  DRACHTIO_SECRET: T.Optional(T.String({ minLength: 1, description: 'must not be empty' })),
  SIP_OUTBOUND_TRUNK: T.Optional(checkedString((v) => problemOf(() => parseTrunk(v))())),
  SIP_TRUSTED_SOURCES: checkedString((v) => problemOf(() => parseCidrList(v))(), { default: '' }),
  RING_TIMEOUT_S: T.Integer({ default: 60, minimum: 1, maximum: 600 }),
  MAX_CALL_SECONDS: T.Integer({ default: 3600, minimum: 10, maximum: 86400 }),
  /** How long a stopping instance waits for live calls to end before hanging them up. */
  SIP_DRAIN_TIMEOUT_S: T.Integer({ default: 30, minimum: 0, maximum: 86400 }),
  CALLBACK_ALLOW_PRIVATE: T.Boolean({ default: false }),
  /** Where this instance hears rtpengine's DTMF events (rtpengine runs with `--dtmf-log-dest=<this>`); only the RTPENGINE_URLS hosts are believed. */
  DTMF_EVENTS_LISTEN: checkedString((v) => (/^[A-Za-z0-9.:-]+:\d{1,5}$/.test(v) ? undefined : 'must be host:port'), { default: '127.0.0.1:9124' }),
  /**
   * Where rtpengine's DTMF events may come from (CIDRs, comma-separated). Empty: the RTPENGINE_URLS
   * hosts, resolved at start. Set it where rtpengine's datagrams arrive through NAT (compose: Docker's
   * port publishing makes the network's gateway their source).
   */
  DTMF_EVENTS_SOURCES: checkedString((v) => problemOf(() => parseCidrList(v))(), { default: '' }),
  /** PIN entry: seconds for the first digit, and between digits. */
  PIN_FIRST_DIGIT_S: T.Integer({ default: 10, minimum: 1, maximum: 120 }),
  PIN_INTER_DIGIT_S: T.Integer({ default: 4, minimum: 1, maximum: 60 }),
  /** Where prompts are written for rtpengine to play (built-in ones generated under builtin/ at first start); rtpengine must read the same path. */
  PROMPTS_DIR: T.String({ default: './data/prompts', minLength: 1, description: 'must be a directory path' }),
  /** rtpengine ng addresses (udp:host:port, comma-separated); required with SIP: no call is bridged unanchored. */
  RTPENGINE_URLS: checkedString((v) => problemOf(() => parseRtpengineUrls(v))(), { default: '' }),
  /** Bound on each rtpengine request; an instance that misses it is marked down until it answers ping. */
  RTPENGINE_TIMEOUT_MS: T.Integer({ default: 1000, minimum: 50, maximum: 30_000 }),
  RTPENGINE_PING_INTERVAL_S: T.Integer({ default: 2, minimum: 1, maximum: 300 }),
  /** Names this call-control instance's calls in rtpengine (`<id>~<call id>`), so a restart can delete what it left; stable across restarts (pod name). */
  MEDIA_INSTANCE_ID: T.Optional(checkedString((v) => (/^[A-Za-z0-9._-]{1,64}$/.test(v) ? undefined : 'must be 1-64 letters, digits, dot, dash or underscore'))),
  /** An answered call with no media either way for this long is ended (end reason media_timeout); 0 turns it off. */
  MEDIA_TIMEOUT_S: T.Integer({ default: 60, minimum: 0, maximum: 86400 }),
  /** Seals recordings at rest (AES-256-GCM): 32 bytes as base64 or hex. Without it no call is recorded. Generated into DATA_DIR by all-in-one. */
  RECORDINGS_KEY: T.Optional(checkedString(keyProblem, { description: 'must be 32 bytes as base64 or hex' })),
  /** Keys RECORDINGS_KEY replaced (comma-separated): recordings sealed under them still open. */
  RECORDINGS_KEY_PREVIOUS: checkedString((v) => v.split(',').map((s) => s.trim()).filter(Boolean).map(keyProblem).find(Boolean), { default: '' }),
  /** rtpengine's --recording-dir as this process sees it (its pcaps and metadata); set where call-control runs beside rtpengine to run the recordings worker. */
  RECORDING_DIR: T.Optional(T.String({ minLength: 1 })),
  /** The rtpengine instances (ng addresses) whose pcaps appear in RECORDING_DIR; default: all of RTPENGINE_URLS. */
  RECORDING_RTPENGINES: checkedString((v) => problemOf(() => parseRtpengineUrls(v))(), { default: '' }),
  /** Where recordings are stored: `fs` (RECORDINGS_FS_DIR, default <DATA_DIR>/recordings) or `s3` (an S3-compatible bucket). */
  RECORDINGS_STORE: T.Union([T.Literal('fs'), T.Literal('s3')], { default: 'fs', description: 'must be fs or s3' }),
  RECORDINGS_FS_DIR: T.Optional(T.String({ minLength: 1 })),
  RECORDINGS_S3_BUCKET: T.Optional(T.String({ minLength: 1 })),
  /** S3-compatible endpoint (MinIO, R2, …); AWS when unset. Credentials: S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (or AWS_*). */
  RECORDINGS_S3_ENDPOINT: T.Optional(T.String({ minLength: 1 })),
  RECORDINGS_S3_REGION: T.Optional(T.String({ minLength: 1 })),
  RECORDINGS_S3_PREFIX: T.String({ default: '' }),
  /** How often the retention purge looks for recordings past their `delete_after`. */
  RECORDING_PURGE_INTERVAL_S: T.Integer({ default: 300, minimum: 1, maximum: 86400 }),
  /** How often ended calls past their tenant's `phone_retention_days` have their phone numbers anonymised. */
  PHONE_RETENTION_INTERVAL_S: T.Integer({ default: 3600, minimum: 1, maximum: 86400 }),
  /** Live calls per tenant on this instance; 0 = no limit. */
  TENANT_MAX_CONCURRENT_CALLS: T.Integer({ default: 200, minimum: 0, maximum: 1_000_000 }),
  /** Calls started per tenant in any 60 s on this instance; 0 = no limit. */
  TENANT_MAX_CALLS_PER_MINUTE: T.Integer({ default: 600, minimum: 0, maximum: 10_000_000 }),
  /** Digest credentials for the trunk, used when it challenges our INVITEs (401/407). */
  SIP_OUTBOUND_USERNAME: T.Optional(T.String({ minLength: 1, maxLength: 256 })),
  SIP_OUTBOUND_PASSWORD: T.Optional(T.String({ minLength: 1, maxLength: 256 })),
  DEFAULT_REGION: T.Optional(
    checkedString((v) => (/^[A-Z]{2}$/.test(v) && isSupportedCountry(v) ? undefined : 'must be an ISO 3166 two-letter region code such as US or GB')),
  ),
}

export type CallControlConfig = ConfigOf<typeof callControlConfig>

/** Checks that involve several variables (the per-variable ones ran at parse time). */
export function checkSipConfig(
  c: Pick<CallControlConfig, 'DRACHTIO_HOST' | 'SIP_OUTBOUND_TRUNK' | 'DRACHTIO_SECRET' | 'SIP_OUTBOUND_USERNAME' | 'SIP_OUTBOUND_PASSWORD' | 'RTPENGINE_URLS'> &
    Partial<Pick<CallControlConfig, 'RECORDINGS_STORE' | 'RECORDINGS_S3_BUCKET'>>,
): void {
  if (c.DRACHTIO_HOST && !c.DRACHTIO_SECRET) {
    throw new ConfigError('DRACHTIO_SECRET', "is required when DRACHTIO_HOST is set (drachtio-server's shared secret)")
  }
  if (c.DRACHTIO_HOST && !c.SIP_OUTBOUND_TRUNK) {
    throw new ConfigError('SIP_OUTBOUND_TRUNK', 'is required when DRACHTIO_HOST is set (host[:port][;transport=udp|tcp|tls])')
  }
  if (c.RECORDINGS_STORE === 's3' && !c.RECORDINGS_S3_BUCKET) throw new ConfigError('RECORDINGS_S3_BUCKET', 'is required when RECORDINGS_STORE=s3')
  if (c.DRACHTIO_HOST && parseRtpengineUrls(c.RTPENGINE_URLS).length === 0) {
    throw new ConfigError('RTPENGINE_URLS', 'is required when DRACHTIO_HOST is set (udp:host:port, comma-separated): calls are never bridged without media anchoring')
  }
  if (!c.SIP_OUTBOUND_USERNAME !== !c.SIP_OUTBOUND_PASSWORD) {
    throw new ConfigError(c.SIP_OUTBOUND_USERNAME ? 'SIP_OUTBOUND_PASSWORD' : 'SIP_OUTBOUND_USERNAME', 'must be set together with the other of SIP_OUTBOUND_USERNAME / SIP_OUTBOUND_PASSWORD')
  }
}
