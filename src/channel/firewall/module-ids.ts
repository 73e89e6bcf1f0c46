/**
 * Which host files a module id makes Vite (in Vitest's main process) read, and the check that each
 * is readable by the sandbox. How ids name files, as Vite reads them:
 * - `/@fs/<abs>` and `file://` URLs → that absolute path (URL-decoded, `..` folded).
 * - `/@id/<id>` → `<id>` (`__x00__` → `\0`); ids starting with `\0`, `virtual:`, `node:`, `data:`,
 *   `http(s)://` and `/@vite/client|env` name no file and pass.
 * - `/<x>`: Vite tries `<root>/<x>` first, then `/<x>` as an absolute path. When `<root>/<x>` is a
 *   file, that file is what gets read; otherwise both must be readable, unless nothing at `/<x>`
 *   (or `/<x>.*`, extension probing) exists on the host.
 * - `./x`, `../x` → against the importer's directory (and the root too when the importer does not
 *   exist: Vite versions differ there).
 * - Query and hash suffixes (`?raw`, `?url`, `?inline`, `?worker`, `?import`, `&…`, `#…`) are cut
 *   off as Vite's cleanUrl does, and also after normalising (so `x?/../../etc/passwd` cannot pass);
 *   percent-encoded and backslash spellings are checked too: every spelling must be readable.
 * - Bare specifiers (`lodash`, `@scope/pkg/sub`, `#imports`, aliases) are resolved by the main
 *   process through node_modules lookups from the importer's directory (and `resolve.alias`).
 *   They pass here unless they contain a `..` segment; the importer must be readable (it picks the
 *   node_modules chain); and the answer is checked (./replies.ts): where they really went.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { callText, PREFIX, Refusal, type Call } from './refusal.js'
import { cleanUrl, isNormalAbsolute, resolveAbsolute } from './paths.js'
import type { View } from './view.js'

const SCHEME = /^[a-zA-Z][a-zA-Z\d+\-.]*:/
/** Characters that give one id several readings: query, hash, percent-encoding, backslash. */
const SPECIAL = /[?#%\\]/
const PASSING_SCHEMES = new Set(['node:', 'data:', 'virtual:'])

/** The spellings of one id a reader might end up using: as is, URL-decoded, with `\` as `/`. */
function spellings(s: string): string[] {
  const out = [s]
  if (s.includes('%')) {
    for (const decode of [decodeURI, decodeURIComponent]) {
      try {
        const decoded = decode(s)
        if (!out.includes(decoded)) out.push(decoded)
      } catch {
        // not decodable: no such spelling
      }
    }
  }
  if (s.includes('\\')) for (const v of [...out]) out.push(v.replaceAll('\\', '/'))
  return out
}

/** Absolute paths an id may name once resolved against `base`: cut-then-normalise and normalise-then-cut. */
function candidates(s: string, base: string): string[] {
  const out: string[] = []
  for (const v of spellings(s)) {
    const clean = cleanUrl(v)
    const cut = clean.charCodeAt(0) === 47 ? resolveAbsolute(clean) : path.resolve(base, clean)
    out.push(cut)
    if (cut !== v && /[?#]/.test(v)) {
      const folded = cleanUrl(path.resolve(base, v))
      if (folded !== cut) out.push(folded)
    }
  }
  return out
}

function hasNul(s: string): boolean {
  return s.includes('\0') || /%00/.test(s)
}

function noNul(call: Call, s: string): void {
  if (hasNul(s)) throw new Refusal(`${PREFIX} ${callText(call)}: the module id contains a NUL byte.`)
}

/** A file URL or an absolute path, as ensureModuleGraphEntry/coverage name files. */
export function fileOf(value: string): string | undefined {
  if (value.startsWith('file:')) {
    try {
      return fileURLToPath(value)
    } catch {
      return undefined
    }
  }
  return path.isAbsolute(value) ? value : undefined
}

function importerPath(importer: unknown): string | undefined {
  if (typeof importer !== 'string') return undefined
  const clean = cleanUrl(importer)
  return clean.charCodeAt(0) === 47 && !clean.startsWith('/@') ? resolveAbsolute(clean) : undefined
}

export function moduleChecks(view: View) {
  const { root, locate, mustRead, readRefusal, mustBeFileOrFolder } = view

  function checkAbsolute(call: Call, s: string): void {
    noNul(call, s)
    if (!SPECIAL.test(s)) return mustRead(call, s)
    for (const p of candidates(s, '/')) mustRead(call, p)
  }

  /** Something exists at `p` or at `p.*` (what Vite's extension probing could pick up). */
  function probeable(p: string): boolean {
    if (locate(p).kind !== 'missing') return true
    const dir = path.dirname(p)
    const base = path.basename(p)
    const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base
    try {
      return readdirSync(dir).some((name) => name === base || name.startsWith(`${stem}.`))
    } catch {
      return false
    }
  }

  /** `/x`: `<root>/x` if that is a file, else the absolute `/x` (Vite's order). */
  function checkRootRelative(call: Call, s: string): void {
    noNul(call, s)
    if (!SPECIAL.test(s)) return checkRootRelativeForm(call, s)
    for (const v of spellings(s)) {
      checkRootRelativeForm(call, cleanUrl(v))
      if (/[?#]/.test(v)) checkRootRelativeForm(call, v)
    }
  }

  /** `form` starts with `/`; it may still carry a query (then it is cut after normalising). */
  function checkRootRelativeForm(call: Call, form: string): void {
    const normal = isNormalAbsolute(form)
    if (normal && SPECIAL.test(form)) form = cleanUrl(form)
    const inRoot = normal ? (root === '/' ? form : root + form) : cleanUrl(path.resolve(root, `.${form}`))
    const located = locate(inRoot)
    if (!located.readable) throw readRefusal(call, inRoot, located)
    mustBeFileOrFolder(call, inRoot, located)
    if (located.kind === 'file') return
    const absolute = normal ? form : cleanUrl(path.resolve(form))
    const abs = locate(absolute)
    if (!abs.readable && probeable(absolute)) throw readRefusal(call, absolute, abs)
  }

  function checkModuleId(method: string, id: unknown, importer: unknown, depth = 0): void {
    const call = () => `${method}(${JSON.stringify(id)})`
    if (typeof id !== 'string') throw new Refusal(`${PREFIX} ${call()}: the module id is not a string.`)
    if (id === '' || id.startsWith('\0')) return
    if (id.startsWith('/@id/')) {
      if (depth > 4) throw new Refusal(`${PREFIX} ${call()}: too many /@id/ wrappers.`)
      // Vite unwraps it and resolves the inner id without an importer; a resolver that does not
      // unwrap sees a root-relative path: both readings must be allowed.
      checkRootRelative(call, id)
      return checkModuleId(method, id.slice(5).replace('__x00__', '\0'), undefined, depth + 1)
    }
    if (id.startsWith('/@fs/')) return checkAbsolute(call, id.slice(4))
    if (id[0] === '/') {
      const bare = cleanUrl(id)
      if (bare === '/@vite/client' || bare === '/@vite/env') return
      return checkRootRelative(call, id)
    }
    if (id[0] === '.' && (id === '.' || id === '..' || id.startsWith('./') || id.startsWith('../'))) {
      noNul(call, id)
      const from = importerPath(importer)
      // Without an importer, Vite's plugin container uses <root>/index.html.
      const bases = from === undefined ? [root] : locate(from).kind === 'missing' ? [path.dirname(from), root] : [path.dirname(from)]
      for (const base of bases) for (const p of candidates(id, base)) mustRead(call, p)
      return
    }
    const scheme = SCHEME.exec(id)?.[0].toLowerCase()
    if (scheme === 'file:') {
      let file: string
      try {
        file = fileURLToPath(new URL(id))
      } catch {
        throw new Refusal(`${PREFIX} ${call()}: not a file URL this host can read.`)
      }
      return mustRead(call, file)
    }
    if (scheme && PASSING_SCHEMES.has(scheme)) return
    if ((scheme === 'http:' || scheme === 'https:') && /^https?:\/\//i.test(id)) return
    // A bare specifier: resolved by the main process through node_modules (checked on the answer).
    for (const v of spellings(id)) {
      if (v.split('/').includes('..')) throw new Refusal(`${PREFIX} ${call()}: a package specifier may not contain "..".`)
    }
  }

  function checkImporter(method: string, id: unknown, importer: unknown): void {
    if (importer === undefined || importer === null) return
    if (typeof importer !== 'string') {
      throw new Refusal(`${PREFIX} ${method}(${JSON.stringify(id)}): the importer is not a string.`)
    }
    // The importer's directory is where relative ids and node_modules lookups start. One that does
    // not exist is only a base path: the ids resolved from it are checked on their own.
    const from = importerPath(importer)
    if (from !== undefined && locate(from).kind !== 'missing') {
      mustRead(() => `${method}(${JSON.stringify(id)}) from ${JSON.stringify(importer)}`, from)
    }
  }

  return { checkModuleId, checkImporter }
}
