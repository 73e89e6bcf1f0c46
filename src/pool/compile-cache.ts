/**
 * Node's compile cache (Node 22.1+) for the sandboxed workers: V8's compiled code of Vitest's worker
 * runtime and of the pool's worker modules, which every fresh sandbox would otherwise compile again
 * (about a fifth of a fresh worker's start on Node 22: `bench/handoff.mjs`, against NODE_DISABLE_COMPILE_CACHE=1).
 *
 * Who writes it is what matters. V8 runs cached code after checking only a hash of the source, so a
 * cache a sandbox could write would carry its code into every later sandbox. Only the host writes this
 * one: a Node process of the pool's (./warm-compile-cache.ts) imports those modules with
 * NODE_COMPILE_CACHE set to a fresh folder of the run directory, and every sandbox gets that folder
 * read-only. A sandbox started before the folder is filled compiles as before.
 *
 * The warm-up runs Vitest's and the pool's own modules on the host, as Vitest's main process does;
 * it is not run when a sandbox could have changed them (they are under an `fs.writable` folder).
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import module from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { under } from '../channel/firewall/paths.js'

/** The warm-up compiles a few hundred files; one that takes longer is stuck. */
const WARM_TIMEOUT_MS = 30_000

const WARM_SCRIPT = fileURLToPath(new URL('./warm-compile-cache.js', import.meta.url))
const OWN_WORKER_DIR = fileURLToPath(new URL('../worker/', import.meta.url))

/**
 * What a sandboxed worker loads from Node's module loader before and while it runs its first file,
 * apart from the entry itself (importing that would start a worker): Vitest's worker runtime and test
 * API, and the pool's worker modules. The rest (user code) goes through Vite's module runner.
 */
export function warmedModules(distPath: string): string[] {
  return [
    ...['worker.js', 'index.js', 'runtime.js', 'module-evaluator.js'].map((name) => path.join(distPath, name)),
    ...['channel.js', 'hints.js', 'snapshot-environment.js'].map((name) => path.join(OWN_WORKER_DIR, name)),
  ].filter((file) => existsSync(file))
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

/**
 * The worker's Node arguments the warm-up takes: only the resolution conditions (Vitest's
 * `--conditions`), so that it resolves the same files. Anything else in `execArgv` may load code or
 * write files; V8 flags among it give the workers another cache folder, which the warm-up did not
 * fill, and they compile as before.
 */
export function warmArgv(execArgv: string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]
    if ((arg === '--conditions' || arg === '-C') && i + 1 < execArgv.length) kept.push(arg, execArgv[++i])
    else if (arg.startsWith('--conditions=') || arg.startsWith('-C=')) kept.push(arg)
  }
  return kept
}

/**
 * Node names its cache folder `<version>-<arch>-<V8 tag>-<uid>` after the uid that runs it: the folder
 * the warm-up (uid `hostUid`) wrote, renamed for the sandbox's uid. null: nothing to rename.
 */
export function folderForSandbox(written: string, hostUid: number, sandboxUid: number): string | null {
  const suffix = `-${hostUid}`
  if (hostUid === sandboxUid || !written.endsWith(suffix)) return null
  return `${written.slice(0, -suffix.length)}-${sandboxUid}`
}

export const nodeHasCompileCache = (): boolean => typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function'

export interface CompileCache {
  /** The folder sandboxes mount read-only and find in NODE_COMPILE_CACHE. */
  dir: string
  /** Settles when the warm-up has ended, filled or not; resolves to what it did, for the debug output. */
  ready: Promise<string>
  /** Stops the warm-up if it still runs, and removes the folder (its sandboxes are gone). */
  close(): void
}

/**
 * Fills a new folder in `parent` (the run directory) in the background. `sandboxUid`: who reads it
 * inside the sandboxes (the files Node writes are its user's alone).
 */
export function startCompileCache(parent: string, node: string, execArgv: string[], modules: string[], sandboxUid: number): CompileCache {
  const dir = mkdtempSync(path.join(parent, 'compile-cache-'))
  chmodSync(dir, 0o755)
  const started = Date.now()
  const child = spawn(node, [...warmArgv(execArgv), WARM_SCRIPT, ...modules.map((m) => pathToFileURL(m).href)], {
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
        resolve(`${adopt(dir, sandboxUid)} from ${modules.length} modules in ${Date.now() - started} ms`)
      } catch (error) {
        resolve(`warm-up's folder unusable: ${(error as Error).message}`)
      }
    })
  })
  return {
    dir,
    ready,
    close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Makes what the warm-up wrote readable by the sandbox's uid, under the name Node looks for there. */
function adopt(dir: string, sandboxUid: number): string {
  const written = readdirSync(dir)
  for (const folder of written) {
    const target = folderForSandbox(folder, process.getuid!(), sandboxUid)
    if (target === null) continue
    for (const file of readdirSync(path.join(dir, folder))) chmodSync(path.join(dir, folder, file), 0o644)
    chmodSync(path.join(dir, folder), 0o755)
    // Last, in one step: a sandbox finds the folder complete or not at all.
    renameSync(path.join(dir, folder), path.join(dir, target))
  }
  return `filled ${readdirSync(dir).join(', ')}`
}
