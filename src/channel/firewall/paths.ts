/** Path helpers of the firewall: cheap normal-form checks on its hot path. Pure. */
import path from 'node:path'

const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)/

/** An absolute path already in normal form (no `//`, `.` or `..` segments, no trailing `/`). */
export function isNormalAbsolute(p: string): boolean {
  return p.charCodeAt(0) === 47 && !NOT_NORMAL.test(p) && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47)
}

/** path.resolve for an absolute path, without its cost when the path is already normal. */
export function resolveAbsolute(p: string): string {
  return isNormalAbsolute(p) ? p : path.resolve(p)
}

/** `p` is one of `roots` or inside one (all absolute and normal). */
export function under(p: string, roots: readonly string[]): boolean {
  for (const r of roots) {
    if (r === '/' || p === r || (p.startsWith(r) && p.charCodeAt(r.length) === 47)) return true
  }
  return false
}

/** Vite's cleanUrl: the id without its query and hash. */
export function cleanUrl(id: string): string {
  const at = id.search(/[?#]/)
  return at === -1 ? id : id.slice(0, at)
}

export function unique<T>(values: T[]): T[] {
  return [...new Set(values)]
}
