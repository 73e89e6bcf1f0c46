/**
 * Plain data as the JavaScript a user pastes into `vitest.config.ts`: single-quoted strings, bare keys
 * where they are identifiers, one line. Pure.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
}

export function literal(value: unknown): string {
  if (typeof value === 'string') return quote(value)
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    if (entries.length === 0) return '{}'
    return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : quote(k)}: ${literal(v)}`).join(', ')} }`
  }
  return String(value)
}
