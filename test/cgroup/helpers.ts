/** Helpers for the cgroup tests that need real processes, real cgroups and other users. */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parseOwnedDirName } from '../../src/cgroup/plan.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Child processes (a run to SIGINT, another user's run) import the cgroup module as plain
 * JavaScript: transpile src/cgroup and what it imports into a world-readable temp dir.
 * Returns the path of index.js there, and a function that removes the directory.
 */
export function compileCgroupModule(): { index: string; dispose: () => void } {
  const out = fs.mkdtempSync(join(tmpdir(), 'nsjail-cgroup-js-'))
  fs.chmodSync(out, 0o755)
  const sources = [
    ...fs.readdirSync(join(repo, 'src/cgroup')).filter((f) => f.endsWith('.ts')).map((f) => join(repo, 'src/cgroup', f)),
    join(repo, 'src/policy/errors.ts'),
    join(repo, 'src/policy/suggest.ts'),
    join(repo, 'src/probe/fixes.ts'),
  ]
  for (const source of sources) {
    const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: source,
    })
    const target = join(out, relative(repo, source)).replace(/\.ts$/, '.js')
    fs.mkdirSync(dirname(target), { recursive: true, mode: 0o755 })
    fs.writeFileSync(target, outputText, { mode: 0o644 })
  }
  fs.writeFileSync(join(out, 'package.json'), '{"type":"module"}\n', { mode: 0o644 })
  for (const dir of [join(out, 'src'), join(out, 'src/cgroup'), join(out, 'src/policy'), join(out, 'src/probe')]) fs.chmodSync(dir, 0o755)
  return { index: join(out, 'src/cgroup/index.js'), dispose: () => fs.rmSync(out, { recursive: true, force: true }) }
}

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs argv to completion, collecting output. */
export function run(argv: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d) => (stdout += d))
    child.stderr?.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export const isRoot = process.getuid?.() === 0

export const UNPRIVILEGED_USER = 'nsjailtest'

/** Creates the unprivileged test user when running as root and it is missing. */
export function ensureUnprivilegedUser(): boolean {
  if (spawnSync('id', [UNPRIVILEGED_USER]).status === 0) return true
  if (!isRoot) return false
  return spawnSync('useradd', ['-m', UNPRIVILEGED_USER], { stdio: 'inherit' }).status === 0
}

/** argv run as the unprivileged user (no capabilities, its own groups). */
export function asUnprivileged(argv: readonly string[]): string[] {
  return ['setpriv', `--reuid=${UNPRIVILEGED_USER}`, `--regid=${UNPRIVILEGED_USER}`, '--init-groups', '--reset-env', ...argv]
}

/** Every directory below `dir` (recursive), as a sorted list of paths. */
export function listTree(dir: string): string[] {
  const found: string[] = []
  const walk = (d: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      found.push(join(d, e.name))
      walk(join(d, e.name))
    }
  }
  walk(dir)
  return found.sort()
}

/** Inode of our pid namespace, as run directory names stamp it. */
const ourPidNs = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))![1]

/**
 * The pool's cgroup directories (any hierarchy) that runs of `pid` made: their run and `main-…`
 * directories and everything below. Other runs on the machine (a concurrent Vitest, another checkout's
 * tests) come and go at any time, so a test counts only what its own run created.
 */
export function cgroupDirsOf(pid: number): string[] {
  return listTree('/sys/fs/cgroup').filter((dir) =>
    dir.split('/').some((segment) => {
      const owner = parseOwnedDirName(segment)
      return owner?.pid === pid && owner.pidNs === ourPidNs
    }),
  )
}

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as dead). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Polls `condition` until it holds; fails after `timeoutMs` (a hang guard, not a timing assertion). */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export { repo }
