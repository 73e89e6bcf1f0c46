/**
 * Where this process's cgroups are: pure parsers of /proc/<pid>/cgroup, /proc/<pid>/mountinfo and
 * /proc/<pid>/stat, and the decision which cgroup version and directories apply. Nothing here
 * touches the file system; cgroups.ts feeds in the texts.
 */
import { posix as path } from 'node:path'

/** The controllers this package manages. */
export type Controller = 'memory' | 'pids' | 'cpu'
export const CONTROLLERS: readonly Controller[] = ['memory', 'pids', 'cpu']

export interface ProcCgroupEntry {
  /** 0 for the unified (v2) hierarchy. */
  hierarchyId: number
  /** v1 controllers of that hierarchy (`['cpu', 'cpuacct']`, `['name=systemd']`); empty for v2. */
  controllers: string[]
  /** Path relative to the cgroup namespace's root, e.g. `/user.slice/…/session-2.scope`. */
  path: string
}

/** `/proc/self/cgroup`: one `id:controllers:path` line per hierarchy. Malformed lines are skipped. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = []
  for (const line of text.split('\n')) {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    if (first <= 0 || second < 0) continue
    const hierarchyId = Number(line.slice(0, first))
    const path = line.slice(second + 1)
    if (!Number.isInteger(hierarchyId) || !path.startsWith('/')) continue
    const list = line.slice(first + 1, second)
    entries.push({ hierarchyId, controllers: list === '' ? [] : list.split(','), path })
  }
  return entries
}

export interface CgroupMount {
  version: 1 | 2
  /** Where it is mounted in our mount namespace. */
  mountPoint: string
  /** Which cgroup of the hierarchy appears at mountPoint (`/` unless bind-mounted or namespaced). */
  root: string
  /** v1: controllers bound to the hierarchy (from the super options), incl. `name=…`; v2: empty. */
  controllers: string[]
  readOnly: boolean
}

/** mountinfo escapes space, tab, newline and backslash as octal: `\040`. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

const V1_NON_CONTROLLER_OPTIONS = new Set([
  'rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods', 'none', 'all',
])

/** The cgroup and cgroup2 mounts listed in `/proc/self/mountinfo`, in order. */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    const dash = fields.indexOf('-', 6)
    if (dash < 0 || fields.length < dash + 4) continue
    const fstype = fields[dash + 1]
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
    const mountOptions = fields[5].split(',')
    const superOptions = fields[dash + 3].split(',')
    mounts.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      mountPoint: unescapeMountField(fields[4]),
      root: unescapeMountField(fields[3]),
      controllers:
        fstype === 'cgroup2'
          ? []
          : superOptions.filter((o) => !V1_NON_CONTROLLER_OPTIONS.has(o) && !o.startsWith('release_agent=')),
      readOnly: mountOptions.includes('ro') || superOptions.includes('ro'),
    })
  }
  return mounts
}

/** One cgroup of ours, as seen through one mount. */
export interface CgroupLocation {
  mountPoint: string
  /** The mount's root cgroup path (cgroup namespace relative). */
  mountRoot: string
  /** Our cgroup's path as /proc/self/cgroup names it. */
  cgroupPath: string
  /** Our cgroup's directory: mountPoint + (cgroupPath minus mountRoot). */
  dir: string
  readOnly: boolean
}

export type CgroupLayout =
  | { version: 1; hierarchies: Partial<Record<Controller, CgroupLocation>>; unified?: undefined }
  | { version: 2; unified: CgroupLocation; hierarchies?: undefined }
  | { version: null; reason: string }

/** Our cgroup's directory under a mount, or null when the mount does not show it. */
export function locateUnder(mount: CgroupMount, cgroupPath: string): CgroupLocation | null {
  if (cgroupPath.includes('/..') || cgroupPath.endsWith(' (deleted)')) return null // outside our cgroup namespace
  const root = mount.root
  let rest: string
  if (root === '/') rest = cgroupPath
  else if (cgroupPath === root) rest = '/'
  else if (cgroupPath.startsWith(root + '/')) rest = cgroupPath.slice(root.length)
  else return null
  return {
    mountPoint: mount.mountPoint,
    mountRoot: root,
    cgroupPath,
    dir: rest === '/' ? path.normalize(mount.mountPoint) : path.join(mount.mountPoint, rest),
    readOnly: mount.readOnly,
  }
}

/**
 * Which cgroup version manages our controllers, and where our cgroups are.
 * A controller lives in exactly one hierarchy: when a v1 hierarchy holds `memory` or `pids`, the
 * v1 layout applies even if a cgroup2 mount exists too (systemd's "hybrid" mode mounts an empty
 * one at /sys/fs/cgroup/unified). Otherwise the unified hierarchy is used if it is mounted.
 */
export function locateCgroups(procCgroup: ProcCgroupEntry[], mounts: CgroupMount[]): CgroupLayout {
  const hierarchies: Partial<Record<Controller, CgroupLocation>> = {}
  for (const controller of CONTROLLERS) {
    const entry = procCgroup.find((e) => e.hierarchyId !== 0 && e.controllers.includes(controller))
    if (!entry) continue
    for (const mount of mounts) {
      if (mount.version !== 1 || !mount.controllers.includes(controller)) continue
      const location = locateUnder(mount, entry.path)
      if (location) {
        hierarchies[controller] = location
        break
      }
    }
  }
  if (hierarchies.memory || hierarchies.pids) return { version: 1, hierarchies }

  const unifiedEntry = procCgroup.find((e) => e.hierarchyId === 0)
  const unifiedMounts = mounts.filter((m) => m.version === 2)
  if (unifiedEntry && unifiedMounts.length > 0) {
    // Prefer a writable mount that shows our cgroup; the first one otherwise.
    const located = unifiedMounts
      .map((m) => locateUnder(m, unifiedEntry.path))
      .filter((l): l is CgroupLocation => l !== null)
    const unified = located.find((l) => !l.readOnly) ?? located[0]
    if (unified) return { version: 2, unified }
    return { version: null, reason: `our cgroup ${unifiedEntry.path} is not visible under any cgroup2 mount` }
  }
  if (mounts.length === 0) return { version: null, reason: 'no cgroup file system is mounted' }
  return { version: null, reason: 'neither a cgroup v1 memory/pids hierarchy nor a cgroup2 hierarchy holds this process' }
}

/** `/proc/<pid>/stat`: parent pid and start time (clock ticks since boot), or null if unparseable. */
export function parseProcStat(text: string): { ppid: number; startTime: string } | null {
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const close = text.lastIndexOf(')')
  if (close < 0) return null
  const fields = text.slice(close + 2).trim().split(/\s+/)
  // fields[0] is field 3 (state): ppid is field 4, starttime field 22.
  const ppid = Number(fields[1])
  const startTime = fields[19]
  if (!Number.isInteger(ppid) || !/^\d+$/.test(startTime ?? '')) return null
  return { ppid, startTime }
}

/** The controller names in a `cgroup.controllers` or `cgroup.subtree_control` file. */
export function parseControllerList(text: string): string[] {
  return text.split(/\s+/).filter(Boolean)
}
