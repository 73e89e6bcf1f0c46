/**
 * Runs one probe command to completion or to its deadline, whichever comes first: a command that
 * hangs (a bwrap stuck on a FUSE mount, a wedged container runtime) is killed and reported as
 * abandoned, never waited for.
 */
import { execFile } from 'node:child_process'

export interface CommandResult {
  /** Exit code, or null when it could not start, was killed or was abandoned. */
  code: number | null
  stdout: string
  stderr: string
  /** Killed at the deadline. */
  abandoned: boolean
  /** Why it could not start (`ENOENT`, `EACCES`), if it did not. */
  spawnError: string | null
}

export function runCommand(argv: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const failure = error as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null
      const spawnError = typeof failure?.code === 'string' ? failure.code : null
      resolve({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        stdout,
        stderr,
        abandoned: !!failure?.killed && spawnError === null,
        spawnError,
      })
    })
  })
}
