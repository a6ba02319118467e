/**
 * call-control: bridges masked calls over SIP (a drachtio-srf application), runs originate
 * (third-party call control), keeps call records and delivers state callbacks. SIP runs only
 * when DRACHTIO_HOST is set; without it the records and callbacks still work and originate
 * answers 503 `sip_unavailable`.
 */
import { join } from 'node:path'
import { failOnConfigError } from '../../shared/config'
import { IdempotencyStore } from '../../shared/idempotency'
import { PhoneRetentionPurge, retentionDaysOf } from '../../shared/phone-retention'
import { requireTenant } from '../../shared/bus/bus'
import { calls } from '../../shared/contracts/calls'
import { anonymiseCallsPastRetention, eraseCallPhone } from './phone-retention'
import type { ServiceDefinition } from '../../shared/service'
import { TenantCallLimits } from './call-limits'
import { CallWriter } from './call-writer'
import { CallbackWorker } from './callbacks/worker'
import { WebhookSecrets } from './callbacks/webhook-secrets'
import { callControlConfig, checkSipConfig } from './config'
import { idempotencyKeys } from './db/schema'
import { serveCalls } from './handlers/calls'
import { servePrompts } from './handlers/prompts'
import { PromptStore } from './prompts/prompt-store'
import { ensureBuiltinPrompts, type BuiltinPromptName, type PromptFile } from '../../shared/prompts/builtin'
import { countLiveCallsWith } from './metrics'
import { SipAgent } from './sip/agent'
import { CallRegistry } from './sip/call-registry'
import { handleInboundInvite, regionWarning } from './sip/inbound'
import { parseTrunk } from './sip/trunk'
import { parseCidrList } from './sip/trusted-sources'
import { StaleCallSweeper } from './stale-calls'
import { hostname } from 'node:os'
import { recoverMedia, RtpengineMediaPlane } from '../../shared/media/call-media'
import { parseRtpengineUrls, RtpenginePool } from '../../shared/media/rtpengine-pool'
import { dtmfSourceCheck } from './dtmf-sources'
import { DtmfListener } from '../../shared/media/dtmf-events'
import { startRecordings } from './recordings/wiring'
import type { CallRecordings } from './recordings/call-recording'

const splitHostPort = (v: string): [string, number] => {
  const i = v.lastIndexOf(':')
  return [v.slice(0, i), Number(v.slice(i + 1))]
}

export const callControlService: ServiceDefinition<typeof callControlConfig> = {
  name: 'call-control',
  config: callControlConfig,
  defaultPort: 8084,
  migrations: join(import.meta.dir, 'db/migrations'),
  async start({ bus, database, log, config }) {
    if (!database) throw new Error('call-control needs a database')
    failOnConfigError(() => checkSipConfig(config))
    const { db } = database
    const limits = { ringTimeoutMs: config.RING_TIMEOUT_S * 1000, maxCallMs: config.MAX_CALL_SECONDS * 1000, mediaTimeoutMs: config.MEDIA_TIMEOUT_S * 1000 }

    const worker = new CallbackWorker({ database, secrets: new WebhookSecrets(bus), log, allowPrivate: config.CALLBACK_ALLOW_PRIVATE })
    worker.start()
    const registry = new CallRegistry()
    countLiveCallsWith(() => registry.size)
    const writer = new CallWriter(db, log, () => worker.nudge())
    const recorder = { db, bus, log, writer }
    const idempotency = new IdempotencyStore(db, idempotencyKeys)

    let builtin = new Map<BuiltinPromptName, PromptFile>()
    try {
      builtin = await ensureBuiltinPrompts(config.PROMPTS_DIR)
    } catch (e) {
      // The API still works; calls that would hear a built-in prompt get today's SIP refusals instead.
      log.error({ err: (e as Error).message }, 'built-in prompts unavailable (install espeak-ng and sox)')
    }
    const promptStore = new PromptStore(db, config.PROMPTS_DIR, builtin)
    const rec = startRecordings({ config, database, bus, log, notice: builtin.get('recording_notice'), nudgeCallbacks: () => worker.nudge(), staleMs: 2 * limits.ringTimeoutMs + limits.maxCallMs + 300_000 })
    servePrompts(bus, promptStore, idempotency)
    // A deleted prompt's audio outlives any call that could still be playing it.
    const purgeGraceMs = limits.maxCallMs + 2 * limits.ringTimeoutMs + 300_000
    const purgeTimer = setInterval(() => {
      promptStore.purge(new Date(Date.now() - purgeGraceMs)).catch((e) => log.warn({ err: (e as Error).message }, 'prompt purge failed'))
    }, 600_000)
    purgeTimer.unref?.()

    let digits: DtmfListener | undefined
    const callLimits = new TenantCallLimits({ maxConcurrent: config.TENANT_MAX_CONCURRENT_CALLS, perMinute: config.TENANT_MAX_CALLS_PER_MINUTE })
    let sip: { agent: SipAgent; trunk: ReturnType<typeof parseTrunk>; media: RtpengineMediaPlane; pool: RtpenginePool; recordings?: CallRecordings } | undefined
    if (config.DRACHTIO_HOST) {
      // Media first: with no rtpengine answering, calls are refused (503), never bridged unanchored.
      const pool = new RtpenginePool(parseRtpengineUrls(config.RTPENGINE_URLS), { timeoutMs: config.RTPENGINE_TIMEOUT_MS, pingIntervalMs: config.RTPENGINE_PING_INTERVAL_S * 1000, log })
      await pool.start()
      const instanceId = config.MEDIA_INSTANCE_ID ?? hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64)
      // Calls this instance left in rtpengine when it last stopped (crash): none of them is live now.
      await recoverMedia(pool, instanceId, (id) => registry.has(id), log)
      if (!pool.ready) log.warn('no rtpengine answers ping: calls are refused with 503 until one does')
      const media = new RtpengineMediaPlane(pool, instanceId, log)
      const [dtmfHost, dtmfPort] = splitHostPort(config.DTMF_EVENTS_LISTEN)
      try {
        digits = await DtmfListener.start(dtmfHost, dtmfPort, await dtmfSourceCheck(config.DTMF_EVENTS_SOURCES, config.RTPENGINE_URLS, log), log)
      } catch (e) {
        // Calls still work; only PIN entry does not (PIN numbers answer 480 until this is fixed).
        log.error({ err: (e as Error).message, listen: config.DTMF_EVENTS_LISTEN }, 'cannot listen for DTMF events: PIN sessions are unavailable')
      }
      const pinTiming = { attempts: 3, firstDigitMs: config.PIN_FIRST_DIGIT_S * 1000, interDigitMs: config.PIN_INTER_DIGIT_S * 1000 }
      const trunk = parseTrunk(config.SIP_OUTBOUND_TRUNK!)
      const trusted = parseCidrList(config.SIP_TRUSTED_SOURCES)
      if (trusted.ranges.length === 0) log.warn('SIP_TRUSTED_SOURCES is empty: every inbound INVITE is refused with 403')
      const auth = config.SIP_OUTBOUND_USERNAME && config.SIP_OUTBOUND_PASSWORD ? { username: config.SIP_OUTBOUND_USERNAME, password: config.SIP_OUTBOUND_PASSWORD } : undefined
      const warnNoRegion = regionWarning(log)
      const agent = new SipAgent({
        host: config.DRACHTIO_HOST,
        port: config.DRACHTIO_PORT,
        secret: config.DRACHTIO_SECRET!,
        log,
        trusted,
        auth,
        draining: () => registry.draining,
        onInvite: (srf, req, res) => handleInboundInvite(srf, req, res, { bus, log, registry, trusted, trunk, region: config.DEFAULT_REGION, limits, recorder, callLimits, warnNoRegion, auth, media, prompts: promptStore, digits, pinTiming, ...(rec.calls && { recordings: rec.calls }) }),
      })
      agent.start()
      sip = { agent, trunk, media, pool, ...(rec.calls && { recordings: rec.calls }) }
    } else {
      log.warn('SIP is off: DRACHTIO_HOST is not set, so no calls are bridged and originate answers 503 sip_unavailable')
    }

    const sweeper = new StaleCallSweeper({
      db,
      writer,
      bus,
      log,
      maxAgeMs: 2 * limits.ringTimeoutMs + limits.maxCallMs + 300_000,
      maxCallMs: limits.maxCallMs,
      isLocal: (id) => registry.has(id),
      idempotency,
    })
    sweeper.start()
    bus.serve(calls.erasePhone, ({ phone }, ctx) => eraseCallPhone(database, requireTenant(ctx), phone))
    const phoneRetention = new PhoneRetentionPurge({ log, intervalMs: config.PHONE_RETENTION_INTERVAL_S * 1000, pass: (now) => anonymiseCallsPastRetention(database, retentionDaysOf(bus), now) })
    phoneRetention.start()
    const served = serveCalls(bus, { db, log, idempotency, registry, recorder, limits, callLimits, allowPrivateCallbacks: config.CALLBACK_ALLOW_PRIVATE, sip })

    let stopping: Promise<void> | undefined
    return {
      prompts: promptStore,
      phoneRetention,
      async ready(): Promise<Record<string, boolean>> {
        return sip ? { sip: sip.agent.connected, rtpengine: sip.pool.ready } : {}
      },
      stop() {
        stopping ??= (async () => {
          // Originate requests go to the other instances from here on (this one leaves the queue
          // group); new inbound calls are refused; live ones get the drain bound, then are hung up.
          clearInterval(purgeTimer)
          await served.stopOriginate()
          const drained = await registry.drain(config.SIP_DRAIN_TIMEOUT_S * 1000)
          if (drained.waitedFor) log.info(drained, 'drained live calls')
          sip?.agent.stop()
          digits?.close()
          sip?.pool.stop()
          await sweeper.stop()
          await phoneRetention.stop()
          await writer.drain()
          await rec.stop()
          await worker.stop()
        })()
        return stopping
      },
    }
  },
}
