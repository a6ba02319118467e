/** PINs of a PIN session: uniformly random decimal digits, the two parties' always different. */
import { getRandomValues } from 'node:crypto'

export function randomDigits(length: number): string {
  let out = ''
  const buf = new Uint8Array(length * 2)
  while (out.length < length) {
    getRandomValues(buf)
    // Rejection sampling: bytes ≥ 250 would bias the low digits.
    for (const b of buf) if (b < 250 && out.length < length) out += String(b % 10)
  }
  return out
}

export function randomPins(length: number): { driver: string; customer: string } {
  const driver = randomDigits(length)
  let customer = randomDigits(length)
  while (customer === driver) customer = randomDigits(length)
  return { driver, customer }
}
