/**
 * Compares the served OpenAPI with the contract: every path, method, parameter, default and
 * bound of the contract must be in the served document (the served one may add more).
 */
type Json = Record<string, any>

export interface Constraints {
  types: Set<string>
  enum?: Set<unknown>
  default?: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
}

function resolve(doc: Json, s: Json | undefined): Json {
  if (!s) return {}
  if (s.$ref) {
    const path = String(s.$ref).replace(/^#\//, '').split('/')
    return resolve(doc, path.reduce((o: Json, k) => o?.[k], doc))
  }
  return s
}

/** Flattens a schema (and its anyOf branches, ignoring null) into comparable constraints. */
export function constraintsOf(doc: Json, raw: Json | undefined): Constraints {
  const s = resolve(doc, raw)
  const c: Constraints = { types: new Set() }
  const visit = (x: Json) => {
    x = resolve(doc, x)
    if (x.type === 'null') return
    if (Array.isArray(x.anyOf)) x.anyOf.forEach(visit)
    if (x.type) for (const t of [x.type].flat()) if (t !== 'null') c.types.add(t === 'integer' ? 'integer' : t)
    if (x.const !== undefined) (c.enum ??= new Set()).add(x.const)
    if (Array.isArray(x.enum)) for (const v of x.enum) (c.enum ??= new Set()).add(v)
    for (const k of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) if (x[k] !== undefined) c[k] = x[k]
    if (x.default !== undefined) c.default = x.default
  }
  visit(s)
  return c
}

/** Lists how `served` falls short of `contract` for one schema (empty when it honours it). */
export function compareConstraints(where: string, contract: Constraints, served: Constraints): string[] {
  const out: string[] = []
  for (const t of contract.types) if (!served.types.has(t)) out.push(`${where}: type ${t} missing (served ${[...served.types]})`)
  if (contract.enum) {
    for (const v of contract.enum) if (!served.enum?.has(v)) out.push(`${where}: enum value ${JSON.stringify(v)} missing`)
    if (served.enum) for (const v of served.enum) if (!contract.enum.has(v)) out.push(`${where}: extra enum value ${JSON.stringify(v)}`)
  }
  for (const k of ['default', 'minimum', 'maximum', 'minLength', 'maxLength'] as const) {
    if (contract[k] !== undefined && served[k] !== contract[k]) out.push(`${where}: ${k} ${JSON.stringify(contract[k])} expected, served ${JSON.stringify(served[k])}`)
  }
  return out
}

/**
 * A header parameter the served document declares as an `apiKey` security scheme instead (sent
 * by clients the same way: the header, by name) honours the contract's parameter.
 */
function viaSecurityScheme(servedDoc: Json, op: Json, p: Json): boolean {
  if (p.in !== 'header') return false
  const schemes = servedDoc.components?.securitySchemes ?? {}
  return (op.security ?? servedDoc.security ?? []).some((req: Json) =>
    Object.keys(req).some((name) => schemes[name]?.type === 'apiKey' && schemes[name].in === 'header' && String(schemes[name].name).toLowerCase() === String(p.name).toLowerCase()),
  )
}

export function compareOperation(contractDoc: Json, servedDoc: Json, path: string, method: string): string[] {
  const out: string[] = []
  const c = contractDoc.paths[path][method]
  const s = servedDoc.paths?.[path]?.[method]
  if (!s) return [`${method.toUpperCase()} ${path}: not served`]
  const at = `${method.toUpperCase()} ${path}`
  for (const p of c.parameters ?? []) {
    const same = (q: Json) => q.in === p.in && (p.in === 'header' ? q.name.toLowerCase() === p.name.toLowerCase() : q.name === p.name)
    const q = (s.parameters ?? []).find(same)
    if (!q && !p.required && viaSecurityScheme(servedDoc, s, p)) continue
    if (!q) {
      out.push(`${at}: parameter ${p.in} ${p.name} missing`)
      continue
    }
    if (p.required && !q.required) out.push(`${at}: parameter ${p.name} should be required`)
    if (!p.required && q.required) out.push(`${at}: parameter ${p.name} should be optional`)
    out.push(...compareConstraints(`${at} ${p.in} ${p.name}`, constraintsOf(contractDoc, p.schema), constraintsOf(servedDoc, q.schema)))
  }
  if (c.requestBody) {
    const cs = resolve(contractDoc, c.requestBody.content?.['application/json']?.schema)
    const ss = resolve(servedDoc, s.requestBody?.content?.['application/json']?.schema)
    if (!s.requestBody) out.push(`${at}: request body missing`)
    else {
      if (c.requestBody.required && !s.requestBody.required) out.push(`${at}: request body should be required`)
      for (const r of cs.required ?? []) if (!(ss.required ?? []).includes(r)) out.push(`${at}: body field ${r} should be required`)
      for (const [name, prop] of Object.entries(cs.properties ?? {})) {
        const sp = ss.properties?.[name]
        if (!sp) out.push(`${at}: body field ${name} missing`)
        else out.push(...compareConstraints(`${at} body ${name}`, constraintsOf(contractDoc, prop as Json), constraintsOf(servedDoc, sp)))
      }
    }
  }
  for (const status of Object.keys(c.responses ?? {})) if (!s.responses?.[status]) out.push(`${at}: response ${status} not documented`)
  return out
}

export function contractOperations(doc: Json): { path: string; method: string }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as Json).map((method) => ({ path, method })))
}
