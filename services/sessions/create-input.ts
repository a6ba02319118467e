/** The rules on a create request that need no database: E.164 phones, distinct parties, TTL. */
import { PIN_LENGTH, type CreateSessionInput } from '../../shared/contracts/sessions'
import { validationError, type ValidationIssue } from '../../shared/errors'
import { parseE164 } from '../../shared/phone'

export const DEFAULT_TTL_MINUTES = 60
export const MAX_TTL_MINUTES = 10_080

export interface CheckedCreate {
  orderId: string | null
  driver: string
  customer: string
  customerCountry: string | null
  ttlMinutes: number
  masked: string | null
  pinRequired: boolean
  pinLength: number | null
  callTimeLimitSeconds: number | null
  ringTimeoutSeconds: number | null
  greetingPrompt: string | null
  record?: boolean
}

const E164_MSG = 'Value should be an E.164 phone number, e.g. +14155550100'

export function checkCreate(input: CreateSessionInput): CheckedCreate {
  const issues: ValidationIssue[] = []
  const phone = (field: 'driver_phone' | 'customer_phone' | 'masked_e164', v: string) => {
    const p = parseE164(v)
    if (!p) issues.push({ loc: ['body', field], msg: E164_MSG, type: 'value_error' })
    return p
  }
  const driver = phone('driver_phone', input.driver_phone)
  const customer = phone('customer_phone', input.customer_phone)
  const masked = input.masked_e164 == null ? null : phone('masked_e164', input.masked_e164)
  if (driver && customer && driver.e164 === customer.e164) {
    issues.push({ loc: ['body', 'customer_phone'], msg: 'customer_phone must differ from driver_phone', type: 'value_error' })
  }
  const ttl = input.ttl_minutes ?? DEFAULT_TTL_MINUTES
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_MINUTES) {
    issues.push({ loc: ['body', 'ttl_minutes'], msg: `Input should be an integer from 1 to ${MAX_TTL_MINUTES}`, type: 'value_error' })
  }
  if (issues.length) throw validationError(issues)
  const pinRequired = input.pin_required ?? false
  return {
    pinRequired,
    pinLength: pinRequired ? (input.pin_length ?? PIN_LENGTH.default) : null,
    callTimeLimitSeconds: input.call_time_limit_seconds ?? null,
    ringTimeoutSeconds: input.ring_timeout_seconds ?? null,
    greetingPrompt: input.greeting_prompt ?? null,
    /** undefined: the tenant's `record_calls` decides. */
    ...(input.record !== undefined && { record: input.record }),
    orderId: input.order_id ?? null,
    driver: driver!.e164,
    customer: customer!.e164,
    customerCountry: customer!.country,
    ttlMinutes: ttl,
    masked: masked?.e164 ?? null,
  }
}
