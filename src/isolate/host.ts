/**
 * Everything the planner needs to know about the host: which system directories exist (and which
 * are symlinks, as on merged-/usr distributions) and who the sandbox runs as. Whether bwrap can
 * build the sandbox here is src/probe's question.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import type { BwrapFeatures } from './bwrap.js'
import { SHARED_ETC, type Identity } from './etc.js'
import type { HostLayout } from './plan.js'
import { resolveUser } from '../policy/resolve.js'
import type { UserOption } from '../policy/types.js'

const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

export function probeHostLayout(): HostLayout {
  const system = SYSTEM.filter((p) => existsSync(p)).map((p) => ({
    path: p,
    symlink: lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null,
  }))
  return { system, etc: SHARED_ETC.filter((p) => existsSync(p)), resolvConf: readOr('/etc/resolv.conf', '') }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
}

/**
 * Who the sandbox runs as. Rootless: the caller's own uid, in a user namespace. As root, the worker
 * must not be host root, not even as a namespace root mapped to uid 0 (that still passes DAC checks on
 * root-owned host files): it becomes the user the `user` option names (by default the project's
 * owner, or nobody when root owns the project).
 */
export function sandboxIdentity(root: string, user?: UserOption): Identity {
  const home = '/home/sandbox'
  const uid = process.getuid!()
  if (uid !== 0) return { uid, gid: process.getgid!(), user: userInfo().username || 'sandbox', home, setuid: false }
  return { ...resolveUser(user, statSync(root)), user: 'sandbox', home, setuid: true }
}

/** The bubblewrap binary the machine check found usable, and what it can do. */
export interface Bwrap {
  path: string
  features: BwrapFeatures
}

/** node_modules folders from the project root up to /, where Node's resolution will look. */
export function nodeModulesChain(root: string): string[] {
  const found: string[] = []
  for (let dir = root; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules')
    if (existsSync(candidate)) found.push(candidate, realpathSync(candidate))
    if (dir === path.dirname(dir)) return [...new Set(found)]
  }
}

/** A path and, when it is reached through symlinks, the real location too (both must exist inside). */
export function withRealpath(p: string): string[] {
  try {
    const real = realpathSync(p)
    return real === p ? [p] : [p, real]
  } catch {
    return []
  }
}

/**
 * The git repository the project root is in: the nearest folder up the tree with a `.git` (a folder,
 * or a file in a worktree or submodule), by its real path as git compares it. None: [].
 */
export function gitRepository(root: string): string[] {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return [realpathSync(dir)]
    if (dir === path.dirname(dir)) return []
  }
}
