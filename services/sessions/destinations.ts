/**
 * The destination policy (shared/destination-policy.ts) with its inputs gathered: the tenant's
 * allowed countries (identity, cached in TenantSettings), the countries of its masked numbers and
 * whether a number is one of the platform's own (did, cached in the NumberDirectory). Applied to
 * both parties when a session is created (422 `destination_not_allowed` naming the party), to the
 * target of every routed call, and to both legs of an originate (`sessions.destination.check`).
 */
import { allowedCountriesOf, destinationRefusal, REFUSAL_TEXT, type DestinationRefusal } from '../../shared/destination-policy'
import { AppError } from '../../shared/errors'
import type { NumberDirectory, TenantNumbers } from './number-directory'
import type { TenantSettings } from './tenant-settings'

export class Destinations {
  /**
   * The countries of each tenant's numbers, for the directory version they were read from. Every
   * create and every routed call asks; recomputing them walked the whole pool each time (100,000
   * numbers copied per routed call kept the process saturated, bench/RESULTS-scale.md part B).
   */
  private readonly heldCountries = new Map<string, { version: number; countries: readonly (string | null)[] }>()

  constructor(
    private readonly settings: TenantSettings,
    private readonly directory: NumberDirectory,
  ) {}

  /** Why each number may not be dialled for the tenant (undefined where it may), in order. */
  async refusals(tenantId: string, numbers: readonly string[], requestId = ''): Promise<(DestinationRefusal | undefined)[]> {
    const [policy, held, own] = await Promise.all([
      this.settings.of(tenantId, requestId),
      this.directory.numbersOf(tenantId, requestId),
      this.directory.platformNumbers(numbers, requestId),
    ])
    const countries = allowedCountriesOf(policy.allowedCountries, policy.allowedCountries ? [] : this.countriesOf(tenantId, held))
    // A tenant without numbers and without a list can place no call anyway (no masked number to
    // allocate); the country rule then waits for the allocation's own 409.
    const noCountryRule = policy.allowedCountries === null && held.numbers.size === 0
    return numbers.map((n, i) => {
      const r = destinationRefusal(n, { allowedCountries: countries, isPlatformNumber: own[i]! })
      return r === 'country_not_allowed' && noCountryRule ? undefined : r
    })
  }

  private countriesOf(tenantId: string, held: TenantNumbers): readonly (string | null)[] {
    const cached = this.heldCountries.get(tenantId)
    if (cached?.version === held.version) return cached.countries
    const set = new Set<string | null>()
    for (const n of held.numbers.values()) set.add(n.country)
    const countries = [...set]
    this.heldCountries.set(tenantId, { version: held.version, countries })
    return countries
  }
}

/** The 422 for a refused party, naming it (`driver_phone`, `customer_phone`) and why. */
export function destinationNotAllowed(party: string, reason: DestinationRefusal): AppError {
  return new AppError('destination_not_allowed', `${party}: ${REFUSAL_TEXT[reason]}`, { extra: { party, reason } })
}
