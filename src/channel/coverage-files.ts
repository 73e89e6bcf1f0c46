/**
 * Vitest 5 workers write their own coverage: a JSON file each in `coverage.coverageFilesDirectory`
 * (`<reportsDirectory>/.tmp`, `.tmp-<index>-<count>` when sharded), whose path they then report in
 * `onAfterSuiteRun`; the main process reads the file when it builds the report. Vitest 4.1 sends
 * coverage over the channel instead: no such folder in its config.
 *
 * The real folder is never mounted into a sandbox (it holds every other file's coverage, and a folder
 * the sandbox can write is one where it can plant symlinks for the main process to follow). Each
 * sandbox gets a private folder of its own, in the pool's run directory (owned by the sandbox user
 * when running as root), mounted at the coverageFilesDirectory path. A reported file is read beneath
 * that folder's fd (a regular file, no symlink, within the budget) and written as a new file into
 * the real folder, where the sandbox cannot reach it; the message Vitest gets names that copy.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { HostFsError, type HostFs } from '../hostfs/beneath.js'
import { runDir, type SandboxDir } from '../hostfs/run-dir.js'
import type { ByteBudget } from './budgets.js'

/** The folder Vitest 5 workers write coverage files into, from the worker's config; null otherwise. */
export function coverageFilesDirectory(config: unknown): string | null {
  const coverage = (config as { coverage?: { enabled?: boolean; coverageFilesDirectory?: unknown } } | undefined)?.coverage
  const dir = coverage?.enabled ? coverage.coverageFilesDirectory : undefined
  return typeof dir === 'string' && path.isAbsolute(dir) ? path.normalize(dir) : null
}

export interface CoverageFiles {
  /** The private folder (host path) to mount read-write at `dest`, the coverageFilesDirectory. */
  mount: { src: string; dest: string }
  /** Copies a reported file into the real folder and returns the copy's path; throws the refusal. */
  copy(reported: unknown): string
  /** Removes the private folder (once the sandbox is gone). */
  remove(): void
}

export function privateCoverageFiles(
  dest: string,
  owner: { uid: number; gid: number } | undefined,
  fs: HostFs,
  budget: ByteBudget,
): CoverageFiles {
  const own: SandboxDir = runDir().sandboxDir(owner)
  const refuse = (reported: unknown, why: string): never => {
    throw new Error(`vitest-pool-nsjail: the sandbox refused onAfterSuiteRun(${JSON.stringify(reported)}): ${why}`)
  }
  return {
    mount: { src: own.path, dest },
    copy(reported) {
      if (typeof reported !== 'string' || path.dirname(reported) !== dest || reported.endsWith('/')) {
        refuse(reported, `a coverage file must be directly in this sandbox's coverage folder ${dest}.`)
      }
      const name = path.basename(reported as string)
      let data: Buffer
      try {
        data = fs.read(own.dir, name, budget.remaining)
      } catch (error) {
        if (!(error instanceof HostFsError)) throw error
        if (error.code === 'TOOBIG') refuse(reported, `it is larger than what is left of ${budget.describe()}.`)
        return refuse(reported, `${error.message}.`)
      }
      const over = budget.take(data.length)
      if (over) refuse(reported, `${over}.`)
      const copy = `coverage-nsjail-${randomUUID()}.json`
      const real = fs.openBase(dest)
      try {
        fs.create(real, copy, data)
      } finally {
        real.close()
      }
      return path.join(dest, copy)
    },
    remove: () => own.remove(),
  }
}
