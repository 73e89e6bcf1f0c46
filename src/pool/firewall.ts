/**
 * The RPC firewall: a sandboxed worker asks Vitest's main process (unsandboxed, on the host) to
 * resolve and load modules, copy attachments, read coverage files… and the main process would do so
 * for any path: `await import('/root/secret.txt?raw')` from inside the sandbox returned the file.
 * Every message from the worker passes `inspect` before Vitest sees it, and every answer from Vitest
 * passes `inspectReply` before the worker sees it. Pure: no I/O besides stat/realpath of the paths in
 * question (cached where the sandbox cannot change them), and for a refusal's advice, the look for the
 * package.json above the refused path (the package root is what to allow, ../isolate/package-root.ts).
 *
 * The rule is one sentence: the main process may touch a path on the worker's behalf only when the
 * sandbox could read it itself (`readable` ∪ `writable`, the same set its mounts expose), compared on
 * real paths (symlinks resolved on the host; for a path that does not exist yet, its nearest existing
 * parent). Where the main process would read or write a file the sandbox can change (5.x benchmark
 * results, 5.x coverage files, attachments in a writable folder), a check would race with the
 * sandbox swapping in a symlink: those calls are done by the pool instead, beneath a directory fd
 * (`host`, src/channel/host-calls.ts), and answered, or forwarded naming the pool's copy.
 *
 * Which methods exist and how each is policed: ./rpc-methods.ts. How module ids name files, as Vite
 * (the main process) reads them:
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
 *   They pass the request check unless they contain a `..` segment; the importer must be readable
 *   (it picks the node_modules chain); and `inspectReply` checks where they really went: a `fetch`
 *   answer carrying code, or a `resolve` answer, for an existing file outside the readable set is
 *   replaced by a refusal. A bare specifier resolving into a readable node_modules is fine.
 * Static imports, `vi.importActual`/`vi.importMock`, `vi.mock`, `import.meta.glob` expansions and
 * `import()` of strings built at run time all reach the main process as `resolve`/`fetch` calls
 * (checked on real traffic: test/firewall/real-traffic.test.ts).
 *
 * Not covered here (see the notes in the report / docs): files the worker reads itself (mounts do
 * that), the tmp and fs-module-cache directories the main process writes transformed code to
 * (shared by all test files of a run), paths in error stacks the main process source-maps, and the
 * check-then-read race on modules under writable roots (the sandbox could swap a checked file for a
 * symlink before Vite reads it; those paths are never cached, but the race remains; the files the
 * pool reads itself, `host` above, have no such race).
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { methodRule, type Check } from './rpc-methods.js'
import { advisedPath } from '../isolate/package-root.js'
import type { HostCalls } from '../channel/host-calls.js'

export interface FirewallAccess {
  /** The project root (Vite's `root`): root-relative module ids and benchmark paths resolve here. */
  root: string
  /** Absolute host paths (directories or files) the sandbox may read: its read-only mounts. */
  readable: string[]
  /** Absolute host paths the sandbox may write (and so read): its writable mounts. */
  writable: string[]
}

export interface FirewallOptions {
  /**
   * True when transformed modules reach the worker as files it reads (the PoolWorker's
   * `cacheFs: true`, or Vitest's fs module cache). Then `prewarmModuleGraph` (5.x) is refused: it
   * makes the main process transform a whole import graph, unchecked, into files the sandbox can
   * read. Default true.
   */
  tmpCopies?: boolean
  /**
   * Test files of this sandbox (relative to the root), named in refusals: "a rule for …". Read when a
   * refusal is written: a spare sandbox's list fills when it is handed its files.
   */
  files?: readonly string[]
  /** The pool's race-free file operations for the calls that need them; without, those are refused. */
  host?: HostCalls
}

export type Verdict =
  /** Forward the message, or `message` instead: the same call naming the pool's copy of a file. */
  | { pass: true; message?: unknown }
  | {
      pass: false
      /**
       * What to send to the worker instead of forwarding the message: a birpc answer that rejects
       * the call (or, for a `quiet` verdict, resolves it harmlessly, or with the pool's own answer).
       * `undefined` when the message expects no answer (an event, or a malformed message): just drop it.
       */
      reply: unknown
      /** The refusal, as the worker sees it: for logs. */
      refusal: string
      /** Expected in normal runs (e.g. 5.x prewarming): log at debug level only. */
      quiet?: boolean
    }

export interface Firewall {
  /** A message from the worker, before Vitest sees it. */
  inspect(message: unknown): Verdict
  /** A message from Vitest, before the worker sees it: answers to resolve/fetch/fetchWarmModules. */
  inspectReply(message: unknown): Verdict
  /** Whether the sandbox may read `target` (absolute), i.e. the main process may read it for it. */
  canRead(target: string): boolean
  /**
   * Whether the main process may open `target` (absolute) because the sandbox named it (a stack
   * frame): a regular file or nothing, readable by the sandbox, and not where the sandbox writes,
   * since there it could swap the file for a FIFO or a link between this check and the read.
   */
  hostMayOpen(target: string): boolean
}

const PASS: Verdict = Object.freeze({ pass: true })
const PREFIX = 'vitest-pool-nsjail: the sandbox refused'
const CACHE_LIMIT = 50_000
const PENDING_LIMIT = 100_000
/** Methods whose answers `inspectReply` looks at. */
const WATCHED_REPLIES = new Set(['fetch', 'resolve', 'fetchWarmModules'])
const SCHEME = /^[a-zA-Z][a-zA-Z\d+\-.]*:/
/** Characters that give one id several readings: query, hash, percent-encoding, backslash. */
const SPECIAL = /[?#%\\]/
const PASSING_SCHEMES = new Set(['node:', 'data:', 'virtual:'])

type Kind = 'file' | 'dir' | 'other' | 'missing'

interface Located {
  /** The real path: symlinks resolved, or the nearest existing parent's real path + the rest. */
  real: string
  kind: Kind
  readable: boolean
}

/** Throws a refusal through the checks; caught in `inspect`. */
class Refusal {
  constructor(
    readonly text: string,
    readonly quiet = false,
  ) {}
}

export function createFirewall(access: FirewallAccess, options: FirewallOptions = {}): Firewall {
  const tmpCopies = options.tmpCopies ?? true
  const root = path.resolve(access.root)
  const writableLexical = unique(access.writable.map((p) => path.resolve(p)))
  const readRoots = unique([...access.readable, ...access.writable].map((p) => locateUncached(path.resolve(p)).real))
  const writeRoots = unique(writableLexical.map((p) => locateUncached(p).real))
  const realRoot = locateUncached(root).real
  const cache = new Map<string, Located>()
  /** birpc call id → the method and first argument, for the answers `inspectReply` checks. */
  const pending = new Map<string, { method: string; shown: string }>()

  // --- paths ---------------------------------------------------------------------------------

  function locateUncached(p: string): { real: string; kind: Kind } {
    const missing: string[] = []
    let current = p
    for (;;) {
      try {
        const real = realpathSync.native(current)
        if (missing.length) return { real: path.join(real, ...missing.reverse()), kind: 'missing' }
        const stat = statSync(real)
        return { real, kind: stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other' }
      } catch {
        const parent = path.dirname(current)
        if (parent === current) return { real: p, kind: 'missing' }
        missing.push(path.basename(current))
        current = parent
      }
    }
  }

  /** `p` must be absolute and normalised. */
  function locate(p: string): Located {
    const hit = cache.get(p)
    if (hit) return hit
    const { real, kind } = locateUncached(p)
    const located: Located = { real, kind, readable: under(real, readRoots) }
    // Only what the sandbox cannot change is cached: an existing path outside its writable roots.
    if (kind !== 'missing' && !under(p, writableLexical) && !under(real, writeRoots)) {
      if (cache.size >= CACHE_LIMIT) cache.clear()
      cache.set(p, located)
    }
    return located
  }

  function allow(): string {
    const files = options.files ?? []
    return `(or ${files.length ? `a rule in \`rules\` matching ${files.join(', ')}` : 'a rule for this file'})`
  }

  function readRefusal(call: Call, p: string, located: Located): Refusal {
    const where = located.real === p ? `the path ${p}` : `the path ${p} leads (through a symlink) to ${located.real}, which`
    return new Refusal(
      `${PREFIX} ${callText(call)}: ${where} is outside what this test file may read. ` +
        `Allow it with fs.readonly: [${JSON.stringify(advisedPath(located.real, realRoot))}] ${allow()}.`,
    )
  }

  /** Refuses unless `p` (absolute; normalised here) is readable. */
  function mustRead(call: Call, p: string): void {
    if (p.includes('\0')) throw new Refusal(`${PREFIX} ${callText(call)}: the path contains a NUL byte.`)
    const normal = resolveAbsolute(p)
    const located = locate(normal)
    if (!located.readable) throw readRefusal(call, normal, located)
  }

  // --- module ids ----------------------------------------------------------------------------

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

  function checkAbsolute(call: Call, s: string): void {
    if (hasNul(s)) throw new Refusal(`${PREFIX} ${callText(call)}: the module id contains a NUL byte.`)
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
    if (hasNul(s)) throw new Refusal(`${PREFIX} ${callText(call)}: the module id contains a NUL byte.`)
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
    if (located.kind === 'file') return
    const absolute = normal ? form : cleanUrl(path.resolve(form))
    const abs = locate(absolute)
    if (!abs.readable && probeable(absolute)) throw readRefusal(call, absolute, abs)
  }

  function importerPath(importer: unknown): string | undefined {
    if (typeof importer !== 'string') return undefined
    const clean = cleanUrl(importer)
    return clean.charCodeAt(0) === 47 && !clean.startsWith('/@') ? resolveAbsolute(clean) : undefined
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
      if (hasNul(id)) throw new Refusal(`${PREFIX} ${call()}: the module id contains a NUL byte.`)
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
        const url = new URL(id)
        file = fileURLToPath(url)
      } catch {
        throw new Refusal(`${PREFIX} ${call()}: not a file URL this host can read.`)
      }
      return mustRead(call, file)
    }
    if (scheme && PASSING_SCHEMES.has(scheme)) return
    if ((scheme === 'http:' || scheme === 'https:') && /^https?:\/\//i.test(id)) return
    // A bare specifier: resolved by the main process through node_modules (checked on the answer).
    for (const v of spellings(id)) {
      if (v.split('/').includes('..')) {
        throw new Refusal(`${PREFIX} ${call()}: a package specifier may not contain "..".`)
      }
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

  /** A file URL or an absolute path, as ensureModuleGraphEntry/coverage name files. */
  function fileOf(value: string): string | undefined {
    if (value.startsWith('file:')) {
      try {
        return fileURLToPath(value)
      } catch {
        return undefined
      }
    }
    return path.isAbsolute(value) ? value : undefined
  }

  // --- the method checks ---------------------------------------------------------------------

  /** Throws a Refusal; returns the arguments to forward instead, or what the pool answers itself. */
  function checkCall(method: string, check: Check, args: unknown[]): void | { args: unknown[] } | { answer: unknown } {
    switch (check) {
      case 'pass':
        return
      case 'module':
        checkImporter(method, args[0], args[1])
        return checkModuleId(method, args[0], args[1])
      case 'module-file-url':
        return checkModuleId(method, args[0], undefined)
      case 'module-graph-entry': {
        for (const value of args.slice(0, 2)) {
          if (typeof value !== 'string') continue
          const file = fileOf(value)
          if (file === undefined) continue
          try {
            mustRead(`${method}(${JSON.stringify(value)})`, file)
          } catch (refusal) {
            if (!(refusal instanceof Refusal)) throw refusal
            // The call only feeds Vitest's module graph: answered harmlessly, never forwarded.
            throw new Refusal(refusal.text, true)
          }
        }
        return
      }
      case 'prewarm':
        if (tmpCopies) {
          throw new Refusal(
            `${PREFIX} ${method}(): pre-transforming the import graph would write modules the firewall has not checked where this sandbox reads them. The worker fetches modules one by one instead.`,
            true,
          )
        }
        return checkFiles(method, args[1])
      case 'warm-files':
        return checkFiles(method, args[1])
      case 'artifact': {
        const artifact = checkArtifact(method, args[1])
        return artifact === args[1] ? undefined : { args: [args[0], artifact, ...args.slice(2)] }
      }
      case 'coverage': {
        const meta = checkCoverage(method, args[0])
        return meta === args[0] ? undefined : { args: [meta, ...args.slice(1)] }
      }
      case 'benchmark-read':
        return { answer: byPool(method, (host) => host.readBenchmark(args[0])) }
      case 'benchmark-write':
        return { answer: byPool(method, (host) => host.writeBenchmark(args[0], args[1])) }
    }
  }

  /** A call the pool performs itself; its failure is the refusal. */
  function byPool<T>(method: string, call: (host: HostCalls) => T): T {
    if (!options.host) throw new Refusal(`${PREFIX} ${method}(): the pool does not serve this call here.`)
    try {
      return call(options.host)
    } catch (error) {
      throw new Refusal((error as Error).message)
    }
  }

  function checkFiles(method: string, files: unknown): void {
    if (!Array.isArray(files)) throw new Refusal(`${PREFIX} ${method}(): the file list is not an array.`)
    for (const file of files) {
      if (typeof file !== 'string') throw new Refusal(`${PREFIX} ${method}(): a file is not a string.`)
      if (path.isAbsolute(file)) mustRead(`${method}(${JSON.stringify(file)})`, file)
    }
  }

  /** The attachment as the main process may see it: unchanged, or naming the pool's copy. */
  function checkAttachment(method: string, attachment: unknown): unknown {
    if (!attachment || typeof attachment !== 'object') return attachment
    const target = (attachment as { path?: unknown }).path
    if (!target) return attachment
    if (typeof target !== 'string') throw new Refusal(`${PREFIX} ${method}(): an attachment path is not a string.`)
    if (target.startsWith('http://') || target.startsWith('https://')) return attachment
    // The main process copies it from path.resolve(root, target) into attachmentsDir. In a writable
    // folder the sandbox could swap it for a symlink after any check: the pool copies it itself.
    const absolute = path.resolve(root, target)
    if (target.includes('\0')) throw new Refusal(`${PREFIX} ${method}(): the attachment path contains a NUL byte.`)
    if (under(absolute, writableLexical)) {
      return { ...attachment, path: byPool(method, (host) => host.copyAttachment(absolute)) }
    }
    const call = `${method}(attachment ${JSON.stringify(target)})`
    mustRead(call, absolute)
    const { real } = locateUncached(absolute)
    if (under(real, writeRoots)) {
      throw new Refusal(`${PREFIX} ${call}: it leads through a symlink into the writable folder ${writeRoots.find((w) => under(real, [w]))}; name the file by its path there.`)
    }
    return attachment
  }

  function checkArtifact(method: string, artifact: unknown): unknown {
    if (!artifact || typeof artifact !== 'object') return artifact
    const { attachments, annotation } = artifact as { attachments?: unknown; annotation?: { attachment?: unknown } }
    let checked = artifact as Record<string, unknown>
    if (Array.isArray(attachments)) {
      const seen = attachments.map((attachment) => checkAttachment(method, attachment))
      if (seen.some((a, i) => a !== attachments[i])) checked = { ...checked, attachments: seen }
    } else if (attachments !== undefined && attachments !== null && typeof attachments === 'object') {
      throw new Refusal(`${PREFIX} ${method}(): attachments is not an array.`)
    }
    if (annotation && typeof annotation === 'object') {
      const attachment = checkAttachment(method, annotation.attachment)
      if (attachment !== annotation.attachment) checked = { ...checked, annotation: { ...annotation, attachment } }
    }
    return checked
  }

  /** The suite's metadata as the main process may see it: unchanged, or naming the pool's copy. */
  function checkCoverage(method: string, meta: unknown): unknown {
    if (!meta || typeof meta !== 'object') return meta
    const coverage = (meta as { coverage?: unknown }).coverage
    if (!coverage) return meta
    if (typeof coverage === 'string') {
      // 5.x: the worker wrote this JSON file; the main process reads it for the report. Its folder is
      // the sandbox's own: the pool copies the file out (src/channel/coverage-files.ts).
      if (options.host?.coverageFile) return { ...meta, coverage: byPool(method, (host) => host.coverageFile!(coverage)) }
      if (!path.isAbsolute(coverage)) throw new Refusal(`${PREFIX} ${method}(${JSON.stringify(coverage)}): the coverage file path is not absolute.`)
      mustRead(`${method}(${JSON.stringify(coverage)})`, coverage)
      return meta
    }
    if (typeof coverage !== 'object') return meta
    // 4.1: the coverage itself. Files it names that exist on the host are read for the report:
    // those must be readable (files only the sandbox has, e.g. in its private /tmp, do not exist here).
    const names: string[] = []
    const result = (coverage as { result?: unknown }).result
    if (Array.isArray(result)) {
      for (const entry of result) {
        const url = (entry as { url?: unknown } | null)?.url
        if (typeof url === 'string' && url.startsWith('file:')) names.push(url)
      }
    } else {
      for (const [key, value] of Object.entries(coverage)) {
        const named = (value as { path?: unknown } | null)?.path
        names.push(typeof named === 'string' ? named : key)
      }
    }
    for (const name of names) {
      const file = fileOf(name)
      if (file === undefined) continue
      const normal = resolveAbsolute(file)
      const located = locate(normal)
      if (!located.readable && located.kind !== 'missing') throw readRefusal(`${method}(coverage of ${JSON.stringify(name)})`, normal, located)
    }
    return meta
  }

  // --- messages ------------------------------------------------------------------------------

  function refuse(message: { i?: unknown }, refusal: Refusal): Verdict {
    const id = message.i
    if (typeof id !== 'string' && typeof id !== 'number') return { pass: false, reply: undefined, refusal: refusal.text }
    if (refusal.quiet) return { pass: false, reply: { t: 's', i: id, r: undefined }, refusal: refusal.text, quiet: true }
    return { pass: false, reply: { t: 's', i: id, e: refusalError(refusal.text) }, refusal: refusal.text }
  }

  function inspect(message: unknown): Verdict {
    if (typeof message !== 'object' || message === null) {
      return { pass: false, reply: undefined, refusal: `${PREFIX} a message that is not an object (${describe(message)}).` }
    }
    const m = message as { __vitest_worker_response__?: unknown; t?: unknown; i?: unknown; m?: unknown; a?: unknown }
    // Vitest routes anything with this flag to the pool protocol, never to birpc.
    if (m.__vitest_worker_response__) return PASS
    // Answers (to the main process's own calls) and anything else birpc treats as an answer: inert.
    if (m.t !== 'q') return PASS
    const rule = methodRule(m.m)
    if (!rule) {
      return refuse(m, new Refusal(
        `${PREFIX} an RPC call to ${JSON.stringify(m.m)}: the method is not in the sandbox's RPC policy (written for Vitest 4.1 and 5.x). ` +
          'A newer Vitest may have added it: upgrade vitest-pool-nsjail, or report it.',
      ))
    }
    const method = m.m as string
    const args = m.a === undefined ? [] : m.a
    if (!Array.isArray(args)) return refuse(m, new Refusal(`${PREFIX} ${method}(): the arguments are not an array.`))
    let outcome: ReturnType<typeof checkCall>
    try {
      outcome = checkCall(method, rule.check, args)
    } catch (error) {
      if (error instanceof Refusal) return refuse(m, error)
      throw error
    }
    if (outcome && 'answer' in outcome) {
      const id = m.i
      const text = `${method}(): answered by the pool`
      if (typeof id !== 'string' && typeof id !== 'number') return { pass: false, reply: undefined, refusal: text, quiet: true }
      return { pass: false, reply: { t: 's', i: id, r: outcome.answer }, refusal: text, quiet: true }
    }
    if (WATCHED_REPLIES.has(method) && (typeof m.i === 'string' || typeof m.i === 'number')) {
      const key = String(m.i)
      if (pending.has(key)) return refuse(m, new Refusal(`${PREFIX} ${method}(): the call id ${JSON.stringify(m.i)} is already in use.`))
      if (pending.size >= PENDING_LIMIT) return refuse(m, new Refusal(`${PREFIX} ${method}(): too many unanswered calls.`))
      pending.set(key, { method, shown: typeof args[0] === 'string' ? args[0] : method === 'fetchWarmModules' ? String(args[0]) : '' })
    }
    return outcome ? { pass: true, message: { ...m, a: outcome.args } } : PASS
  }

  function replyRefusal(id: unknown, text: string): Verdict {
    return { pass: false, reply: { t: 's', i: id, e: refusalError(text) }, refusal: text }
  }

  function inspectReply(message: unknown): Verdict {
    if (typeof message !== 'object' || message === null) return PASS
    const m = message as { t?: unknown; i?: unknown; r?: unknown; e?: unknown }
    if (m.t !== 's' || (typeof m.i !== 'string' && typeof m.i !== 'number')) return PASS
    const call = pending.get(String(m.i))
    if (!call) return PASS
    pending.delete(String(m.i))
    const result = m.r
    if (m.e !== undefined || !result || typeof result !== 'object') return PASS
    const shown = `${call.method}(${JSON.stringify(call.shown)})`
    if (call.method === 'fetchWarmModules') {
      const kept: Record<string, unknown> = {}
      const dropped: string[] = []
      for (const [key, entry] of Object.entries(result)) {
        const file = (entry as { file?: unknown } | null)?.file
        if (typeof file === 'string' && outsideExisting(file)) dropped.push(file)
        else kept[key] = entry
      }
      if (!dropped.length) return PASS
      return {
        pass: false,
        reply: { ...m, r: kept },
        refusal: `${PREFIX} ${shown}: dropped cached modules outside what this test file may read: ${unique(dropped).join(', ')}.`,
        quiet: true,
      }
    }
    const r = result as { file?: unknown; id?: unknown; code?: unknown; tmp?: unknown; externalize?: unknown }
    // fetch: only answers that carry the module's content (code, or a tmp copy) matter; externalized
    // modules are imported by the worker itself, inside the sandbox. resolve: where the id went.
    if (call.method === 'fetch' && !('code' in r) && !('tmp' in r)) return PASS
    const file = typeof r.file === 'string' ? r.file : typeof r.id === 'string' ? cleanUrl(r.id) : undefined
    if (file === undefined || !outsideExisting(file)) return PASS
    const normal = resolveAbsolute(file)
    const located = locate(normal)
    return replyRefusal(
      m.i,
      `${PREFIX} ${shown}: it resolves to ${located.real}, outside what this test file may read. ` +
        `Allow it with fs.readonly: [${JSON.stringify(advisedPath(located.real, realRoot))}] ${allow()}.`,
    )
  }

  /** An absolute path that exists on the host and is not readable by the sandbox. */
  function outsideExisting(file: string): boolean {
    if (!path.isAbsolute(file) || file.includes('\0')) return false
    const located = locate(resolveAbsolute(file))
    return located.kind !== 'missing' && !located.readable
  }

  function canRead(target: string): boolean {
    if (typeof target !== 'string' || !path.isAbsolute(target) || target.includes('\0')) return false
    return locate(resolveAbsolute(target)).readable
  }

  function hostMayOpen(target: string): boolean {
    if (!canRead(target)) return false
    const normal = resolveAbsolute(target)
    const located = locate(normal)
    return (located.kind === 'file' || located.kind === 'missing') && !under(normal, writableLexical) && !under(located.real, writeRoots)
  }

  return { inspect, inspectReply, canRead, hostMayOpen }
}

/** The Error a refused call rejects with in the worker (message and stack survive the channel). */
export function refusalError(text: string): Error {
  const error = new Error(text)
  error.stack = `Error: ${text}`
  return error
}

/** Vite's cleanUrl: the id without its query and hash. */
export function cleanUrl(id: string): string {
  const at = id.search(/[?#]/)
  return at === -1 ? id : id.slice(0, at)
}

/** How a refusal names the call; built only when refusing. */
type Call = string | (() => string)

function callText(call: Call): string {
  return typeof call === 'string' ? call : call()
}

const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)/

/** An absolute path already in normal form (no `//`, `.` or `..` segments, no trailing `/`). */
function isNormalAbsolute(p: string): boolean {
  return p.charCodeAt(0) === 47 && !NOT_NORMAL.test(p) && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47)
}

/** path.resolve for an absolute path, without its cost when the path is already normal. */
function resolveAbsolute(p: string): string {
  return isNormalAbsolute(p) ? p : path.resolve(p)
}

function under(p: string, roots: readonly string[]): boolean {
  for (const r of roots) {
    if (r === '/' || p === r || (p.startsWith(r) && p.charCodeAt(r.length) === 47)) return true
  }
  return false
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)]
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value
}
