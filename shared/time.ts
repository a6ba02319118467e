/** RFC 3339 UTC with `Z` (what every API field carries), or null. */
export function iso(d: Date | string | null | undefined): string | null {
  if (d == null) return null
  return (typeof d === 'string' ? new Date(d) : d).toISOString()
}
