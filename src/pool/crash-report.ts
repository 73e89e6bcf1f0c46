/**
 * A file whose sandbox died (a limit, the seccomp filter, a crash, a sandbox that never started)
 * must be a failed file in every reporter, with why, and its unfinished tests must not count as
 * passed. Vitest only learns results from the worker, so the pool reports them the way the worker
 * would have, as birpc events on the channel, before it tells Vitest the run is over:
 * - a file the worker never reported collected: `onCollected` with the file, failed, carrying the error;
 * - a collected file: `onTaskUpdate` failing the file (with the error) and every test and suite that
 *   had no final result yet (tests with the error too: the one running when the sandbox died is among
 *   them, and results not yet flushed by the worker are unknown), with the events reporters wait for.
 * Pure: it reads the task trees Vitest's state already holds and returns the messages.
 */
import path from 'node:path'
import { generateFileHash } from 'vitest/node'

/** The birpc event the worker sends to report collected files; an event (no id) expects no answer. */
export function isCollectedEvent(message: unknown): message is { m: 'onCollected'; a: [Array<{ filepath: string }>] } {
  const m = message as { t?: string; m?: string; a?: unknown[] } | null
  return !!m && m.t === 'q' && m.m === 'onCollected' && Array.isArray(m.a?.[0])
}

/** The parts of Vitest's task objects (File, Suite, Test) read here. */
export interface TaskLike {
  id: string
  type: string
  mode?: string
  result?: { state?: string }
  meta?: unknown
  tasks?: TaskLike[]
}

export interface FailedRun {
  /** Files of the run the worker never reported collected. */
  uncollected: string[]
  /** Vitest's tasks for the files it did report (from its state). */
  collected: TaskLike[]
  root: string
  projectName: string
  pool: string
  error: Error
}

const FINAL = new Set(['pass', 'fail', 'skip', 'todo'])

type SerializedError = { name: string; message: string; stack?: string }

export function failedRunEvents(run: FailedRun): unknown[] {
  // No stack: where in the pool the death was noticed is no use to the reader.
  const error: SerializedError = { name: run.error.name, message: run.error.message, stack: `${run.error.name}: ${run.error.message}` }
  const events: unknown[] = []
  if (run.uncollected.length) events.push(failedFilesEvent(run.uncollected, run.root, run.projectName, run.pool, error))
  const packs: Array<[string, unknown, unknown]> = []
  const reported: Array<[string, string, undefined]> = []
  for (const file of run.collected) {
    if (FINAL.has(file.result?.state ?? '')) continue
    const message = `${error.message} (before this test's result reached Vitest)`
    const unfinished: SerializedError = { name: error.name, message, stack: `${error.name}: ${message}` }
    walk(file.tasks ?? [], (task) => {
      if (FINAL.has(task.result?.state ?? '') || task.mode === 'skip' || task.mode === 'todo') return
      const isTest = task.type !== 'suite'
      // Suites fail without an error of their own: JUnit counts a suite with errors as one more failure.
      packs.push([task.id, { state: 'fail', ...(isTest ? { errors: [unfinished] } : {}) }, task.meta ?? {}])
      if (isTest) reported.push([task.id, 'test-finished', undefined])
    })
    packs.push([file.id, { state: 'fail', errors: [error] }, file.meta ?? {}])
    reported.push([file.id, 'suite-finished', undefined])
  }
  if (packs.length) events.push({ t: 'q', m: 'onTaskUpdate', a: [packs, reported] })
  return events
}

function walk(tasks: TaskLike[], visit: (task: TaskLike) => void): void {
  for (const task of tasks) {
    visit(task)
    if (task.tasks) walk(task.tasks, visit)
  }
}

function failedFilesEvent(filepaths: string[], root: string, projectName: string, pool: string, error: SerializedError): unknown {
  const files = filepaths.map((filepath) => {
    const name = path.relative(root, filepath)
    const file: Record<string, unknown> = {
      id: generateFileHash(name, projectName),
      name,
      fullName: name,
      type: 'suite',
      mode: 'run',
      filepath,
      tasks: [],
      meta: {},
      projectName,
      pool,
      result: { state: 'fail', errors: [error] },
    }
    file.file = file
    return file
  })
  return { t: 'q', m: 'onCollected', a: [files] }
}
