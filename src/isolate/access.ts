/**
 * What the sandbox user may do with a host path, judged before any test runs. As root the worker is
 * another user (the project's owner, nobody, or the `user` option), with no supplementary groups
 * (setpriv --clear-groups): the kernel then checks the owner, group and other bits, which is what
 * this reads from stat. Rootless the worker is this process's own user: access(2) answers.
 * POSIX ACLs are not read (they can only grant more).
 */
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import type { Identity } from './etc.js'

export type Access = 'r' | 'w' | 'x'

const BITS: Record<Access, [number, number, number]> = { r: [0o400, 0o040, 0o004], w: [0o200, 0o020, 0o002], x: [0o100, 0o010, 0o001] }
const ACCESS: Record<Access, number> = { r: constants.R_OK, w: constants.W_OK, x: constants.X_OK }

/** Whether the sandbox user may `want` on `target` itself (its parents are not looked at). */
export function allows(identity: Identity, target: string, want: Access): boolean {
  if (!identity.setuid) {
    try {
      accessSync(target, ACCESS[want])
      return true
    } catch {
      return false
    }
  }
  let stat
  try {
    stat = statSync(target)
  } catch {
    return false
  }
  const [owner, group, other] = BITS[want]
  if (stat.uid === identity.uid) return (stat.mode & owner) !== 0
  if (stat.gid === identity.gid) return (stat.mode & group) !== 0
  return (stat.mode & other) !== 0
}

/**
 * Why the sandbox user cannot `want` on `target`, a path inside the mount `top`: the first directory
 * from `top` down that it cannot enter, or the target itself; null when it can. Directories above
 * `top` do not matter: inside the sandbox they are fresh, traversable ones (bwrap builds them). `seen`
 * caches directories across calls.
 */
export function blocked(identity: Identity, target: string, want: Access, top: string, seen = new Map<string, boolean>()): string | null {
  const dirs: string[] = []
  for (let dir = path.dirname(target); dir.startsWith(top) && dir.length >= top.length; dir = path.dirname(dir)) {
    dirs.unshift(dir)
    if (dir === top || dir === path.dirname(dir)) break
  }
  for (const dir of dirs) {
    let ok = seen.get(dir)
    if (ok === undefined) seen.set(dir, (ok = allows(identity, dir, 'x')))
    if (!ok) return dir
  }
  return allows(identity, target, want) ? null : target
}
