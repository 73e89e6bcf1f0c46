/**
 * The thin effectful layer: every read, write, mkdir, rmdir and kill on cgroupfs goes through
 * here. Synchronous on purpose: cgroupfs operations are in-kernel and quick, and the same code
 * must run from a process 'exit' handler (closeSync), where nothing asynchronous completes.
 */
import * as fs from 'node:fs'
import { join } from 'node:path'

export class CgroupFsError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
    this.name = 'CgroupFsError'
  }
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code
}

/** File content, or undefined if it cannot be read (missing file, removed cgroup, …). */
export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** One write(2) of `value`, as the kernel expects for cgroup files. Throws CgroupFsError. */
export function writeText(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value)
  } catch (error) {
    const code = errnoOf(error)
    throw new CgroupFsError(`cannot write ${JSON.stringify(value)} to ${file}: ${code ?? String(error)}`, code)
  }
}

/** Whether this process may write `target` (access(2) with W_OK: owner, mode, read-only mounts). */
export function canWrite(target: string): boolean {
  try {
    fs.accessSync(target, fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

export function exists(target: string): boolean {
  return fs.existsSync(target)
}

/** Creates a cgroup directory; false if it already existed. Throws CgroupFsError otherwise. */
export function makeDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir)
    return true
  } catch (error) {
    const code = errnoOf(error)
    if (code === 'EEXIST') return false
    throw new CgroupFsError(`cannot create cgroup ${dir}: ${code ?? String(error)}`, code)
  }
}

/** rmdir(2) of a cgroup; true when it is gone (or was already). */
export function removeDir(dir: string): boolean {
  try {
    fs.rmdirSync(dir)
    return true
  } catch (error) {
    return errnoOf(error) === 'ENOENT'
  }
}

/** Names of the child cgroups of `dir` (empty when unreadable). */
export function childDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
  } catch {
    return []
  }
}

/** Pids in a cgroup's cgroup.procs (empty when unreadable). */
export function listPids(dir: string): number[] {
  const text = readText(join(dir, 'cgroup.procs'))
  if (text === undefined) return []
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0)
}

/** Moves process `pid` into cgroup `dir`. Throws CgroupFsError. */
export function moveProcess(pid: number, dir: string): void {
  writeText(join(dir, 'cgroup.procs'), String(pid))
}

/**
 * One round of killing everything in `dir`: `cgroup.kill` where the kernel has it (v2, 5.14+:
 * atomic, includes processes forked meanwhile), then SIGKILL to each pid listed in cgroup.procs
 * (covers v1, older kernels, and anything cgroup.kill raced with). Returns how many were listed.
 */
export function killRound(dir: string): number {
  const killFile = join(dir, 'cgroup.kill')
  if (exists(killFile)) {
    try {
      writeText(killFile, '1')
    } catch {
      // fall through to per-pid signals
    }
  }
  const pids = listPids(dir)
  for (const pid of pids) {
    if (pid === process.pid) continue // never ourselves
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // ESRCH: gone meanwhile; EPERM: not ours to kill (then rmdir will fail and say so)
    }
  }
  return pids.filter((pid) => pid !== process.pid).length
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4))
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll interval and patience for killing and removing: a fork bomb may need a few rounds. */
const ROUND_MS = 5
const PATIENCE_MS = 5000

/**
 * Kills everything in cgroup `dir` and its descendants, then removes them all, deepest first.
 * Repeats until the directory is gone or PATIENCE_MS passed (then false). Synchronous.
 */
export function destroySync(dir: string, patienceMs = PATIENCE_MS): boolean {
  const deadline = Date.now() + patienceMs
  for (;;) {
    if (destroyRound(dir)) return true
    if (Date.now() > deadline) return false
    sleepSync(ROUND_MS)
  }
}

/** Same as destroySync, yielding to the event loop between rounds. */
export async function destroy(dir: string, patienceMs = PATIENCE_MS): Promise<boolean> {
  const deadline = Date.now() + patienceMs
  for (;;) {
    if (destroyRound(dir)) return true
    if (Date.now() > deadline) return false
    await sleep(ROUND_MS)
  }
}

/** Kills everything in `dir` (and below) until no process is listed, or patience ends. */
export async function killAll(dir: string, patienceMs = PATIENCE_MS): Promise<boolean> {
  const deadline = Date.now() + patienceMs
  for (;;) {
    if (killTree(dir) === 0) return true
    if (Date.now() > deadline) return false
    await sleep(ROUND_MS)
  }
}

function killTree(dir: string): number {
  let listed = killRound(dir)
  for (const child of childDirs(dir)) listed += killTree(join(dir, child))
  return listed
}

/** One attempt: kill, then rmdir children and `dir`. True when `dir` no longer exists. */
function destroyRound(dir: string): boolean {
  if (!exists(dir)) return true
  for (const child of childDirs(dir)) destroyRound(join(dir, child))
  killRound(dir)
  return removeDir(dir)
}
