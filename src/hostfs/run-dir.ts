/**
 * The pool's private scratch directory for one process: `<tmpdir>/vitest-pool-nsjail-<uid>/run-…`,
 * mode 0700, holding one directory per sandbox that needs one (Vitest 5's coverage files, copies of
 * attachments, the relay's sockets). Only the sandbox's own directory is ever mounted into it; the
 * run directory and its parent are reachable by this user alone. When `<tmpdir>` is too long for the
 * relay's socket paths (the kernel's limit is 107 bytes), `/tmp` is used instead.
 *
 * `<tmpdir>` is shared with every local user, so the parent is created and opened without following
 * a symlink, and used only when it is ours and closed to others. Run directories carry their owner's
 * pid, start time and pid namespace (the cgroup code's names): those of runs whose process is gone
 * (e.g. after `kill -9`) are removed by the next run. Each sandbox's directory goes with its sandbox,
 * the run directory at process exit.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { currentOwner, startTimeOf } from '../cgroup/owner.js'
import { ownedDirName, ownerIsGone, parseOwnedDirName } from '../cgroup/plan.js'
import { MAX_SOCKET_PATH } from '../relay/entries.js'
import { hostFs, type Dir, type HostFs } from './beneath.js'

export interface SandboxDir {
  /** Open on the directory (created 0700, owned by `owner` when given). */
  dir: Dir
  path: string
  /** Closes it and removes it with everything in it (call once the sandbox is gone). */
  remove(): void
}

export interface RunDir {
  path: string
  /** A fresh directory for one sandbox. */
  sandboxDir(owner?: { uid: number; gid: number }): SandboxDir
}

let current: RunDir | undefined

/** This process's run directory, created (and stale ones reaped) on first use. */
export function runDir(): RunDir {
  current ??= openRunDir(hostFs())
  return current
}

/** Room left in a socket path for `/run-…/s-<n>/inspector.sock` below the parent directory. */
const ROOM_BELOW_PARENT = 72

/** Where run directories live: `<tmpdir>/vitest-pool-nsjail-<uid>` (or under /tmp, see above). */
export function runDirParent(): string {
  const tmp = os.tmpdir()
  const name = `vitest-pool-nsjail-${process.getuid!()}`
  return path.join(Buffer.byteLength(tmp) + name.length + ROOM_BELOW_PARENT <= MAX_SOCKET_PATH ? tmp : '/tmp', name)
}

/** The reason the parent directory cannot be trusted, or null. */
export function parentDirProblem(stat: { uid: number; mode: number }, uid: number): string | null {
  if (stat.uid !== uid) return `it belongs to uid ${stat.uid}, not to this user (uid ${uid})`
  if ((stat.mode & 0o077) !== 0) return `its mode is ${(stat.mode & 0o777).toString(8)}, open to other users (0700 expected)`
  return null
}

/** The parent of the run directories, opened without following a symlink and checked to be this user's alone. */
function openParent(hostfs: HostFs): Dir {
  const where = runDirParent()
  const tmp = hostfs.openBase(path.dirname(where))
  let parent: Dir
  try {
    parent = hostfs.openOrMakeDir(tmp, path.basename(where))
  } finally {
    tmp.close()
  }
  const problem = parentDirProblem(fs.fstatSync(parent.fd), process.getuid!())
  if (problem) {
    parent.close()
    throw new Error(`vitest-pool-nsjail: will not use ${parent.path} for the sandboxes' private folders: ${problem}. Remove it.`)
  }
  return parent
}

/** Where keptDir(names) is, without making it (`explain` shows it). */
export function keptDirPath(names: string[]): string {
  return path.join(runDirParent(), ...names)
}

/**
 * A folder beside the run directories that stays from run to run (the compile cache's): `names` one
 * inside the other, each made if missing and never reached through a symlink; the last gets `mode`.
 * Its path.
 */
export function keptDir(names: string[], mode = 0o700): string {
  const hostfs = hostFs()
  let dir = openParent(hostfs)
  try {
    for (const name of names) {
      const inner = hostfs.openOrMakeDir(dir, name)
      dir.close()
      dir = inner
    }
    fs.fchmodSync(dir.fd, mode)
    return dir.path
  } finally {
    dir.close()
  }
}

function openRunDir(hostfs: HostFs): RunDir {
  const parent = openParent(hostfs)
  const owner = currentOwner()
  if (!owner) {
    parent.close()
    throw new Error('vitest-pool-nsjail: cannot read /proc/self/stat, which names the run directory')
  }
  reap(parent.path, owner.pidNs)
  const run = hostfs.makeDir(parent, ownedDirName('run', owner, randomBytes(4).toString('hex')))
  parent.close()
  process.on('exit', () => {
    run.close()
    fs.rmSync(run.path, { recursive: true, force: true })
  })
  let count = 0
  return {
    path: run.path,
    sandboxDir(sandboxOwner) {
      const dir = hostfs.makeDir(run, `s-${++count}`, sandboxOwner)
      return {
        dir,
        path: dir.path,
        remove() {
          dir.close()
          // Node's recursive rm never follows a symlink the sandbox left in there.
          fs.rmSync(dir.path, { recursive: true, force: true })
        },
      }
    },
  }
}

/** Removes run directories whose process is gone. Never one of a live process. */
function reap(parent: string, pidNs: string): void {
  for (const name of fs.readdirSync(parent)) {
    const stamp = parseOwnedDirName(name)
    if (!stamp || stamp.kind !== 'run') continue
    if (ownerIsGone(stamp, pidNs, startTimeOf(stamp.pid))) {
      fs.rmSync(path.join(parent, name), { recursive: true, force: true })
    }
  }
}
