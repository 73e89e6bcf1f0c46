/**
 * The run's private directories for relay sockets, on the host:
 *
 *   <tmp>/vitest-pool-nsjail-<uid>/            0700, ours: no other user reaches a socket below
 *     run-<pid>-<starttime>-<pidns>-<random>/  one per run (named like the run's cgroups)
 *       s<n>/                                  one per sandbox, bound read-only into it
 *
 * A sandbox's directory goes with the sandbox; the run's when Vitest closes and at process exit
 * (also after Ctrl-C). Directories of runs whose process is gone (kill -9) are reaped by the next
 * run, the way src/cgroup reaps cgroups.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SandboxUnavailableError } from '../policy/errors.js'
import { currentOwner, ownPidNs, startTimeOf } from '../cgroup/owner.js'
import { ownedDirName, ownerIsGone, parseOwnedDirName } from '../cgroup/plan.js'
import { MAX_SOCKET_PATH } from './entries.js'

/** Room left in a socket path for `/run-…/s<n>/inspector.sock` below the base directory. */
const ROOM_BELOW_BASE = 72

const open = new Set<RelayDirs>()
let exitHandlerInstalled = false

export class RelayDirs {
  private run?: string
  private next = 0

  /** A fresh private directory for one sandbox. Throws SandboxUnavailableError when none can be made. */
  create(): string {
    this.run ??= makeRunDir()
    open.add(this)
    if (!exitHandlerInstalled) {
      exitHandlerInstalled = true
      process.on('exit', () => open.forEach((dirs) => dirs.closeSync()))
    }
    const dir = path.join(this.run, `s${++this.next}`)
    // Searchable by the sandbox user, which as root is another user (the project's owner, or nobody).
    fs.mkdirSync(dir, { mode: 0o755 })
    fs.chmodSync(dir, 0o755)
    return dir
  }

  /** Removes one sandbox's directory (its sockets and configuration). */
  remove(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true })
  }

  /** Removes the run's directory. Synchronous, for a process 'exit' handler; idempotent. */
  closeSync(): void {
    if (this.run) fs.rmSync(this.run, { recursive: true, force: true })
    this.run = undefined
    open.delete(this)
  }
}

/** `<tmp>/vitest-pool-nsjail-<uid>`, or under /tmp when TMPDIR is too long for socket paths. */
export function baseDir(): string {
  const tmp = os.tmpdir()
  const name = `vitest-pool-nsjail-${process.getuid!()}`
  return path.join(Buffer.byteLength(tmp) + name.length + ROOM_BELOW_BASE <= MAX_SOCKET_PATH ? tmp : '/tmp', name)
}

function makeRunDir(): string {
  const base = baseDir()
  try {
    fs.mkdirSync(base, { mode: 0o700 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unavailable(base, (error as Error).message)
  }
  // Someone else may have made it first, in a world-writable /tmp: it must be ours and private.
  const stat = fs.lstatSync(base)
  if (!stat.isDirectory() || stat.uid !== process.getuid!() || (stat.mode & 0o077) !== 0) {
    throw unavailable(base, `it is not a directory of uid ${process.getuid!()} with mode 0700; remove it`)
  }
  reap(base)
  const owner = currentOwner()
  if (!owner) throw unavailable(base, 'cannot read /proc/self/stat')
  const run = path.join(base, ownedDirName('run', owner, randomBytes(4).toString('hex')))
  fs.mkdirSync(run, { mode: 0o700 })
  return run
}

/** Removes the directories of runs whose process is gone. */
function reap(base: string): void {
  const pidNs = ownPidNs()
  for (const name of fs.readdirSync(base)) {
    const stamp = parseOwnedDirName(name)
    if (stamp && ownerIsGone(stamp, pidNs, startTimeOf(stamp.pid))) fs.rmSync(path.join(base, name), { recursive: true, force: true })
  }
}

function unavailable(base: string, why: string): SandboxUnavailableError {
  return new SandboxUnavailableError(`cannot make the private directory for the sandboxes' forwarded services in ${base}: ${why}`)
}
