/**
 * Node's compile cache (Node 22.1+) for the sandboxed workers: V8's compiled code of Vitest's worker
 * runtime and of the pool's worker modules, which every fresh sandbox would otherwise compile again
 * (about a fifth of a fresh worker's start on Node 22: `bench/handoff.mjs`, against NODE_DISABLE_COMPILE_CACHE=1).
 *
 * Who writes it is what matters. V8 runs cached code after checking only a hash of the source, so a
 * cache a sandbox could write would carry its code into every later sandbox. Only the host writes this
 * one: a Node process of the pool's (./warm-compile-cache.ts) imports those modules with
 * NODE_COMPILE_CACHE set to a folder beside the run directories, and every sandbox gets that folder
 * read-only. The folder stays from run to run; a sandbox started before it is filled compiles as before.
 *
 * The warm-up runs Vitest's and the pool's own modules on the host, as Vitest's main process does;
 * it is not run when a sandbox could have changed them (they are under an `fs.writable` folder).
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import module from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { under } from '../channel/firewall/paths.js'
import { keptDir, keptDirPath } from '../hostfs/run-dir.js'
import { nodeModulesChain, withRealpath } from '../isolate/host.js'
import { builtFile } from '../built-files.js'

/** The warm-up compiles about 50 modules in a fraction of a second; one that takes 30 s is stuck. */
const WARM_TIMEOUT_MS = 30_000

const WARM_SCRIPT = builtFile('pool/warm-compile-cache.js')
const OWN_WORKER_DIR = builtFile('worker')

/**
 * What a sandboxed worker loads from Node's module loader before and while it runs its first file,
 * apart from the entry itself (importing that would start a worker): Vitest's worker runtime and test
 * API, and the pool's worker modules. The rest (user code) goes through Vite's module runner.
 */
function warmedModules(distPath: string): string[] {
  return [
    ...['worker.js', 'index.js', 'runtime.js', 'module-evaluator.js'].map((name) => path.join(distPath, name)),
    ...['channel.js', 'hints.js', 'snapshot-environment.js'].map((name) => path.join(OWN_WORKER_DIR, name)),
  ].filter((file) => existsSync(file))
}

/** The cache's folder beside the run directories, mounted read-only in every sandbox; the stamps' beside it, not mounted. */
const CACHE_DIR = ['compile-cache', 'cache']
const STAMPS_DIR = ['compile-cache', 'stamps']

/** Where the cache is (not made): what `explain` shows. */
export const compileCacheDir = (): string => keptDirPath(CACHE_DIR)

/**
 * The modules a project's warm-up imports and the facts compileCacheOff judges for its workers: a run
 * and `explain` gather them the same way. `env`: the workers' environment; `writable`: every rule's.
 */
export function compileCacheInputs(distPath: string, env: Record<string, string | undefined>, coverage: CompileCacheFacts['coverage'], writable: string[]): { modules: string[]; facts: CompileCacheFacts } {
  const modules = warmedModules(distPath)
  const warmedFrom = [...new Set([...new Set(modules.map((m) => path.dirname(m)))].flatMap((dir) => [...withRealpath(dir), ...nodeModulesChain(dir)]))]
  return { modules, facts: { nodeHasCache: nodeHasCompileCache(), workerEnv: env, coverage, writable, warmedFrom } }
}

export interface CompileCacheFacts {
  /** Whether this Node has a compile cache (module.enableCompileCache). */
  nodeHasCache: boolean
  /** The environment Vitest prepared for the workers. */
  workerEnv: Record<string, string | undefined>
  coverage: { enabled?: boolean; provider?: string }
  /** Folders any sandbox of the project may write (every rule's `fs.writable`). */
  writable: string[]
  /** Where the warmed modules and what they import live (Vitest's and our folders, node_modules), with real paths. */
  warmedFrom: string[]
}

/** Why the workers go without the compile cache, or null. */
export function compileCacheOff(facts: CompileCacheFacts): string | null {
  if (!facts.nodeHasCache) return `Node ${process.version} has no compile cache (Node 22.1 or later has)`
  if (facts.workerEnv.NODE_DISABLE_COMPILE_CACHE) return 'NODE_DISABLE_COMPILE_CACHE is set'
  // As Vitest 5 itself decides: V8 keeps no source positions in cached code, which precise coverage needs.
  if (facts.coverage.enabled && facts.coverage.provider !== 'istanbul') return `coverage by ${facts.coverage.provider ?? 'v8'} needs code compiled from source`
  const open = facts.warmedFrom.find((p) => under(p, facts.writable) || facts.writable.some((w) => under(w, [p]) && !hiddenBelow(w, p)))
  if (open) return `sandboxes may write in ${open} (fs.writable), and the warm-up would run its modules on the host`
  return null
}

/** A folder of `node_modules` whose name starts with a dot (.vite, .cache): a tool's cache, not packages (as pnpm's .pnpm is). */
function hiddenBelow(inner: string, folder: string): boolean {
  const first = path.relative(folder, inner).split(path.sep)[0]
  return path.basename(folder) === 'node_modules' && first.startsWith('.') && first !== '.pnpm'
}

/** V8 flags common in Vitest configs: they change V8's cache tag, and neither load code nor write files. */
const V8_FLAGS = /^--(expose[-_]gc|(max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|stack[-_]size)=\d+)$/

/**
 * The worker's Node arguments the warm-up takes: the resolution conditions (Vitest's `--conditions`),
 * so that it resolves the same files, and the common V8 flags, so that Node files the cache under the
 * same V8 tag as the workers'. Anything else in `execArgv` may load code or write files; another V8
 * flag among it gives the workers another cache folder, which the warm-up did not fill, and they
 * compile as before.
 */
export function warmArgv(execArgv: string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]
    if ((arg === '--conditions' || arg === '-C') && i + 1 < execArgv.length) kept.push(arg, execArgv[++i])
    else if (arg.startsWith('--conditions=') || arg.startsWith('-C=') || V8_FLAGS.test(arg)) kept.push(arg)
  }
  return kept
}

/**
 * Node names its cache folder `<version>-<arch>-<V8 tag>-<uid>` after the uid that runs it: the name
 * under which the sandbox's uid looks for the folder the warm-up (uid `hostUid`) wrote. null: the same.
 */
export function folderForSandbox(written: string, hostUid: number, sandboxUid: number): string | null {
  const suffix = `-${hostUid}`
  if (hostUid === sandboxUid || !written.endsWith(suffix)) return null
  return `${written.slice(0, -suffix.length)}-${sandboxUid}`
}

const nodeHasCompileCache = (): boolean => typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function'

export interface CompileCache {
  /** The folder sandboxes mount read-only and find in NODE_COMPILE_CACHE. */
  dir: string
  /** Settles when the warm-up has ended, filled or not; resolves to what it did, for the debug output. */
  ready: Promise<string>
  /** Stops the warm-up if it still runs. */
  close(): void
}

/**
 * What a warm-up's result depends on. Node checks each cached module against its source anyway: this
 * only spares runs a warm-up that would change nothing. A Vitest or dependency installed anew changes
 * the files' or the node_modules folders' times.
 */
export function warmStamp(node: string, argv: string[], nodeOptions: string | undefined, files: Array<{ path: string; size: number; mtimeMs: number }>): string {
  return createHash('sha256').update(JSON.stringify([node, process.version, argv, nodeOptions ?? '', files])).digest('hex').slice(0, 32)
}

/**
 * The cache lives beside the run directories (this user's alone), from run to run: a run whose modules
 * were warmed before finds it filled from its first sandbox. It is filled in the background when the
 * stamp of what it holds (./warmStamp) is not among the stamps. `sandboxUid`: who reads it inside the
 * sandboxes (the files Node writes are its user's alone).
 */
export function startCompileCache(node: string, execArgv: string[], modules: string[], watched: string[], sandboxUid: number): CompileCache {
  // Readable by the sandbox's uid.
  const dir = keptDir(CACHE_DIR, 0o755)
  const stamps = keptDir(STAMPS_DIR)
  const argv = warmArgv(execArgv)
  const stamp = path.join(stamps, warmStamp(node, argv, process.env.NODE_OPTIONS, [...modules, ...watched].map((file) => {
    const { size, mtimeMs } = statSync(file)
    return { path: file, size, mtimeMs }
  })))
  if (stillFilled(dir, stamp)) return { dir, ready: Promise.resolve(`${adopt(dir, sandboxUid)}, warmed before`), close: () => {} }
  const started = Date.now()
  const child = spawn(node, [...argv, WARM_SCRIPT, String(WARM_TIMEOUT_MS), ...modules.map((m) => pathToFileURL(m).href)], {
    env: { ...process.env, NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: undefined },
    stdio: 'ignore',
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), WARM_TIMEOUT_MS).unref()
  const ready = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(`warm-up did not start: ${error.message}`))
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return resolve(`warm-up failed (${signal ?? `exit code ${code}`}); workers compile as before`)
      try {
        const filled = adopt(dir, sandboxUid)
        writeFileSync(stamp, JSON.stringify(readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)))
        resolve(`${filled} from ${modules.length} modules in ${Date.now() - started} ms`)
      } catch (error) {
        resolve(`warm-up's folder unusable: ${(error as Error).message}`)
      }
    })
  })
  return { dir, ready, close: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) }
}

/** The stamp is there, and so is what the warm-up it stands for wrote (a cleaner of /tmp may have taken it). */
function stillFilled(dir: string, stamp: string): boolean {
  try {
    const folders = JSON.parse(readFileSync(stamp, 'utf8')) as string[]
    return folders.length > 0 && folders.every((folder) => readdirSync(path.join(dir, folder)).length > 0)
  } catch {
    return false
  }
}

/**
 * Makes what the warm-ups wrote readable by the sandbox's uid, under the name Node looks for there: a
 * link to the folder Node named after the host's uid. Returns the folders the sandboxes find.
 */
function adopt(dir: string, sandboxUid: number): string {
  const found: string[] = []
  for (const folder of readdirSync(dir, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue
    const link = folderForSandbox(folder.name, process.getuid!(), sandboxUid)
    if (link === null) {
      if (folder.name.endsWith(`-${sandboxUid}`)) found.push(folder.name)
      continue
    }
    for (const file of readdirSync(path.join(dir, folder.name))) racing(() => chmodSync(path.join(dir, folder.name, file), 0o644))
    chmodSync(path.join(dir, folder.name), 0o755)
    racing(() => symlinkSync(folder.name, path.join(dir, link)))
    found.push(link)
  }
  return `filled ${found.join(', ') || 'nothing'}`
}

/**
 * Another run's warm-up may work in the same folder: Node renames its temporary files into place, and
 * the other run may have made the link first. Those are not errors here.
 */
function racing(act: () => void): void {
  try {
    act()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EEXIST') throw error
  }
}
