/**
 * Phone numbers from a CSV file (or pasted text): the column headed e164, number, phone, did or
 * msisdn, else the first column. Blank lines, a header row and duplicates are dropped; quotes
 * are unwrapped. The API checks each number itself (E.164), so nothing is validated here.
 */
const NUMBER_HEADERS = new Set(['e164', 'number', 'phone', 'phone_number', 'did', 'msisdn'])

function cells(line: string, sep: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++
      else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"') quoted = true
    else if (ch === sep) out.push(cur.trim()), (cur = '')
    else cur += ch
  }
  out.push(cur.trim())
  return out
}

export function numbersFromCsv(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '')
  if (lines.length === 0) return []
  const sep = lines[0]!.includes(';') && !lines[0]!.includes(',') ? ';' : ','
  const head = cells(lines[0]!, sep).map((h) => h.toLowerCase().replace(/[\s-]+/g, '_'))
  const named = head.findIndex((h) => NUMBER_HEADERS.has(h))
  const hasHeader = named >= 0 || !/\d/.test(head[0] ?? '')
  const col = named >= 0 ? named : 0
  const seen = new Set<string>()
  for (const line of hasHeader ? lines.slice(1) : lines) {
    const v = (cells(line, sep)[col] ?? '').replace(/[\s().-]/g, '')
    if (v) seen.add(v)
  }
  return [...seen]
}

/** The import API takes at most 1000 numbers per request. */
export function chunks<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
