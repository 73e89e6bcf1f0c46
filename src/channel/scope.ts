/**
 * A sandbox may only report on the test files it was given. Vitest's main process files every task
 * update, collected file, console line, artifact and leak under the task id or file path the worker
 * names, so without this any sandbox could overwrite another file's results (a failing run that
 * exits 0, "2 passed"), or inject tests, logs and leak reports for files it never ran.
 *
 * Task ids are Vitest's own: a file's id is generateFileHash(path relative to the root, project
 * name) and every task inside it is `<file id>_<index>[_<index>…]`. Pure apart from that hash.
 */
import path from 'node:path'
import { generateFileHash } from 'vitest/node'
import { walkTaskTree } from './task-tree.js'

export interface ScopeOptions {
  root: string
  projectName: string
  /** Vitest's `bail`: only then may a worker cancel the run, after a failure of its own. */
  bail: number
}

export interface Scope {
  /** Files handed to the sandbox (absolute paths); with isolate: false, more arrive over time. */
  add(files: readonly string[]): void
  /** Why this RPC call from the worker reaches outside its files, or null when it does not. */
  problem(method: string, args: readonly unknown[]): string | null
  /** The file (absolute) a task id of the sandbox's own belongs to. */
  fileOf(taskId: string): string | undefined
}

export function createScope(options: ScopeOptions): Scope {
  /** file id → absolute path, for the sandbox's own files. */
  const ids = new Map<string, string>()
  const paths = new Set<string>()
  const names = new Set<string>()
  let failed = false

  const fileOf = (id: string): string | undefined => {
    const cut = id.indexOf('_')
    return ids.get(cut === -1 ? id : id.slice(0, cut))
  }
  const taskIdInScope = (id: unknown): boolean => typeof id === 'string' && fileOf(id) !== undefined
  const pathInScope = (file: unknown): boolean => typeof file === 'string' && paths.has(file)

  function fileProblem(file: unknown): string | null {
    const f = file as { id?: unknown; filepath?: unknown } | null
    if (!f || typeof f !== 'object') return 'a file that is not an object'
    if (!pathInScope(f.filepath) || ids.get(f.id as string) !== f.filepath) {
      return `the file ${JSON.stringify(f.filepath)} (id ${JSON.stringify(f.id)}), which is not one of its own`
    }
    // Every task inside must carry an id under the file's own.
    return walkTaskTree(f, (task) =>
      task !== f && (typeof task.id !== 'string' || !task.id.startsWith(`${f.id as string}_`))
        ? `a task ${JSON.stringify(task.id)} inside ${JSON.stringify(f.filepath)} whose id is not under the file's`
        : null,
    )
  }

  function entriesProblem(entries: unknown, what: string): string | null {
    if (entries === undefined) return null
    if (!Array.isArray(entries)) return `${what} that are not a list`
    for (const entry of entries) {
      const id = Array.isArray(entry) ? entry[0] : undefined
      if (!taskIdInScope(id)) return `${what} for the task ${JSON.stringify(id)}, which is not in its own files`
    }
    return null
  }

  function noteFailures(packs: unknown): void {
    for (const pack of packs as Array<[unknown, { state?: unknown } | undefined]>) {
      if (pack[1]?.state === 'fail') failed = true
    }
  }

  return {
    fileOf,
    add(files) {
      for (const file of files) {
        if (paths.has(file)) continue
        const name = path.relative(options.root, file)
        paths.add(file)
        names.add(name)
        ids.set(generateFileHash(name, options.projectName), file)
      }
    },

    problem(method, args) {
      const [first, second] = args
      switch (method) {
        case 'onQueued':
          return fileProblem(first)
        case 'onCollected':
          if (!Array.isArray(first)) return 'collected files that are not a list'
          for (const file of first) {
            const problem = fileProblem(file)
            if (problem) return problem
          }
          return null
        case 'onTaskUpdate': {
          const problem = entriesProblem(first, 'results') ?? entriesProblem(second, 'events')
          if (!problem && Array.isArray(first)) noteFailures(first)
          return problem
        }
        case 'onUserConsoleLog': {
          const taskId = (first as { taskId?: unknown } | null)?.taskId
          return taskId === undefined || taskIdInScope(taskId) ? null : `console output for the task ${JSON.stringify(taskId)}, which is not in its own files`
        }
        case 'onTaskArtifactRecord':
        case 'onTestBenchmark':
          return taskIdInScope(first) ? null : `a report for the task ${JSON.stringify(first)}, which is not in its own files`
        case 'onTestModuleDependencies':
          return pathInScope(first) ? null : `dependencies of ${JSON.stringify(first)}, which is not one of its own files`
        case 'snapshotSaved':
          return pathInScope((first as { filepath?: unknown } | null)?.filepath) ? null : 'a snapshot summary for a file that is not its own'
        case 'onAfterSuiteRun': {
          const files = (first as { testFiles?: unknown } | null)?.testFiles
          return Array.isArray(files) && files.every((name) => names.has(name)) ? null : 'coverage for test files that are not its own'
        }
        case 'onAsyncLeaks':
          if (!Array.isArray(first)) return 'leaks that are not a list'
          return first.every((leak) => pathInScope((leak as { filename?: unknown } | null)?.filename) && (leak as { projectName?: unknown }).projectName === options.projectName)
            ? null
            : 'a leak report for a file that is not its own'
        case 'onUnhandledError': {
          const testPath = (first as { VITEST_TEST_PATH?: unknown } | null)?.VITEST_TEST_PATH
          return testPath === undefined || pathInScope(testPath) ? null : `an error attributed to ${JSON.stringify(testPath)}, which is not one of its own files`
        }
        case 'onCancel':
          // Vitest's runner cancels the run when `bail` is reached, right after a failed test.
          return options.bail > 0 && first === 'test-failure' && failed ? null : `a cancellation of the whole run (${JSON.stringify(first)}) without a failure of its own under \`bail\``
        default:
          return null
      }
    },
  }
}
