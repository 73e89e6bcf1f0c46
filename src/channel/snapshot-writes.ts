/**
 * Which snapshot writes the pool performs for a sandbox, and how. The requests arrive on the worker's
 * channel, where test code can forge them, so nothing in them is trusted but the path they name,
 * and that only as the thing to judge. Vitest's snapshot machinery writes three kinds of files, and
 * each kind is recognised on the host, from the project's own config:
 *
 * - `.snap` files: exactly the paths Vitest's `resolveSnapshotPath` gives for this sandbox's test
 *   files (computed by the pool). Created or rewritten, content in Vitest's own format
 *   (./snap-file.ts); their folder created; removed (obsolete) only under `-u`.
 * - the sandbox's own test files (inline snapshots): rewritten only where the new content differs
 *   from the file on disk inside inline-snapshot literals (./inline-snapshots.ts).
 * - `toMatchFileSnapshot` targets: anything else, judged by the path alone (./file-targets.ts);
 *   created only as new files under `update: 'new'`, rewritten too under `-u`.
 * Under `update: 'none'` (CI) nothing is written. Every write happens beneath a directory fd of the
 * project root or of a writable folder (src/hostfs), so what is judged here is what the kernel
 * resolves: a normalised relative path, never through a symlink. Pure.
 */
import path from 'node:path'
import { fileTargetRefusal, type VitestFileMatcher } from './file-targets.js'

export type UpdateMode = 'all' | 'new' | 'none'
export type FsOp = 'write' | 'remove' | 'mkdir' | 'check'

/** Where a sandbox's host-side writes may go at all. */
export interface WriteScope {
  /** The project root (absolute). */
  root: string
  /** Writable folders of this sandbox (absolute; their mount points). */
  writable: readonly string[]
  vitestFile: VitestFileMatcher
}

export interface SnapshotRules extends WriteScope {
  mode: UpdateMode
  /** Vitest's resolveSnapshotPath of each of this sandbox's test files (absolute). */
  snapFiles: ReadonlySet<string>
  /** This sandbox's test files (absolute). */
  testFiles: ReadonlySet<string>
}

export type Located = { base: string; rel: string }

/** What to do: the base directory (absolute; opened as an fd) and the path beneath it. */
export type SnapshotWrite =
  | { refusal: string }
  | {
      base: string
      rel: string
      /**
       * `snap`: create or rewrite, Vitest's .snap format only. `inline`: rewrite an existing test
       * file, literals only. `create`: a new file only. `create-or-replace`: a new or an existing
       * regular file. `remove`, `mkdir`. `none`: a check that passed.
       */
      action: 'snap' | 'inline' | 'create' | 'create-or-replace' | 'remove' | 'mkdir' | 'none'
    }

const PREFIX = 'vitest-pool-nsjail: the sandbox refused to'

/** An absolute path in normal form: no `.`/`..`/empty components, no trailing `/`, no NUL. */
export function isNormalAbsolute(p: string): boolean {
  return path.isAbsolute(p) && !p.includes('\0') && path.normalize(p) === p && (p === '/' || !p.endsWith('/'))
}

/** The base (deepest writable folder holding it, else the project root) and the path beneath it. */
export function locate(target: string, root: string, writable: readonly string[]): Located | null {
  const inside = (dir: string) => target.startsWith(dir === '/' ? '/' : `${dir}/`) && target !== dir
  const base = [...writable].filter(inside).sort((a, b) => b.length - a.length)[0] ?? (inside(root) ? root : undefined)
  return base === undefined ? null : { base, rel: target.slice(base === '/' ? 1 : base.length + 1) }
}

/**
 * Why a file the sandbox names (a toMatchFileSnapshot target, a benchmark result) must not be written,
 * or null. Judged from the project root when inside it (a writable folder there included), else from
 * its writable folder.
 */
function targetRefusal(target: string, where: Located, scope: WriteScope): string | null {
  const inProject = locate(target, scope.root, []) !== null
  const rel = inProject ? path.relative(scope.root, target) : where.rel
  return fileTargetRefusal({ segments: rel.split('/'), inProject, absolute: target }, scope.vitestFile)
}

/** Where a file the sandbox names may be written (any number of times), or why not. */
export function judgeFileTarget(target: string, scope: WriteScope): Located | { refusal: string } {
  if (!isNormalAbsolute(target)) return { refusal: 'not an absolute path in normal form' }
  const where = locate(target, scope.root, scope.writable)
  if (!where) return { refusal: `the path is outside the project root ${scope.root}` }
  const refusal = targetRefusal(target, where, scope)
  return refusal ? { refusal } : where
}

export function judgeSnapshotWrite(op: FsOp, target: unknown, rules: SnapshotRules): SnapshotWrite {
  const action = op === 'check' ? 'write' : op
  const refuse = (why: string): SnapshotWrite => ({ refusal: `${PREFIX} snapshot ${action} ${JSON.stringify(target)}: ${why}` })
  if (typeof target !== 'string' || !isNormalAbsolute(target)) {
    return refuse('not an absolute path in normal form (Vitest sends those; `..`, `.` and `//` are never followed)')
  }
  if (rules.mode === 'none') return refuse("this run does not update snapshots (update: 'none', as on CI)")
  const where = locate(target, rules.root, rules.writable)
  if (!where) {
    return refuse(`the path is outside the project root ${rules.root}. Allow it with fs.writable: [${JSON.stringify(path.dirname(target))}] (or a rule for this file).`)
  }
  const plan = (kind: Exclude<SnapshotWrite, { refusal: string }>['action']): SnapshotWrite => ({ ...where, action: kind })
  const isSnap = rules.snapFiles.has(target)
  switch (op) {
    case 'mkdir':
      return [...rules.snapFiles].some((f) => path.dirname(f) === target) ? plan('mkdir') : refuse('only the folder of a snapshot file of this sandbox is created this way.')
    case 'remove':
      if (!isSnap) return refuse("only an obsolete snapshot file of this sandbox's test files is ever removed.")
      return rules.mode === 'all' ? plan('remove') : refuse("a run that only adds snapshots (update: 'new') removes none. Remove obsolete snapshots with -u.")
    case 'write':
    case 'check': {
      if (isSnap) return plan(op === 'check' ? 'none' : 'snap')
      if (rules.testFiles.has(target)) return plan(op === 'check' ? 'none' : 'inline')
      const refusal = targetRefusal(target, where, rules)
      if (refusal) return refuse(refusal)
      return plan(op === 'check' ? 'none' : rules.mode === 'all' ? 'create-or-replace' : 'create')
    }
    default:
      return refuse(`unknown operation ${JSON.stringify(op)}`)
  }
}
