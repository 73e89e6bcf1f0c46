/**
 * Which snapshot writes the pool performs for a worker. The requests arrive on the worker's channel,
 * where test code could forge them, so each is judged by what Vitest itself would write in this run:
 * - `update: 'none'` (CI): Vitest writes nothing, so nothing is written.
 * - `update: 'new'` (the local default): Vitest only adds — new snapshot files and entries, new inline
 *   snapshots in the running test files, new toMatchFileSnapshot targets — so an existing file may be
 *   rewritten or removed only when it is a `.snap` file or one of this sandbox's test files.
 * - `update: 'all'` (`-u`): any file the firewall lets be written (inside the project, not in
 *   node_modules or .git), since toMatchFileSnapshot targets may be anywhere there.
 */
import { statSync } from 'node:fs'

export type UpdateMode = 'all' | 'new' | 'none'

export interface SnapshotWriteContext {
  mode: UpdateMode
  /** Absolute paths of the test files this sandbox runs. */
  testFiles: ReadonlySet<string>
  /** The firewall's write check: where writes may go at all. */
  checkWrite: (target: string, action: string) => string | null
}

const PREFIX = 'vitest-pool-nsjail: the sandbox refused to'

function isExistingFile(target: string): boolean {
  try {
    return statSync(target).isFile()
  } catch {
    return false
  }
}

export function snapshotWriteRefusal(target: string, action: string, context: SnapshotWriteContext): string | null {
  if (context.mode === 'none') {
    return `${PREFIX} ${action} ${JSON.stringify(target)}: this run does not update snapshots (update: 'none', as on CI)`
  }
  const refusal = context.checkWrite(target, action)
  if (refusal || context.mode === 'all') return refusal
  if (isExistingFile(target) && !target.endsWith('.snap') && !context.testFiles.has(target)) {
    return `${PREFIX} ${action} ${JSON.stringify(target)}: it exists and is neither a snapshot file nor a test file ` +
      `of this sandbox, and a run that only adds snapshots (update: 'new') never rewrites one. Update it with -u.`
  }
  return null
}
