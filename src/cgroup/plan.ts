/**
 * Pure planning: which cgroup files get which values for given limits and cgroup version, how
 * run directories are named, and how the kernel's event counters read as a kill reason.
 */
import type { Controller } from './detect.js'
import { formatBytes } from './limits.js'
import type { Limits } from './types.js'

/** One write into a worker's cgroup directory (v2) or into one hierarchy's directory (v1). */
export interface LimitWrite {
  /** The controller whose directory the file is in (for v1, which hierarchy). */
  controller: Controller
  file: string
  value: string
  /**
   * The file may be missing on this kernel (no swap accounting, older kernel): skip it then.
   * Required files that cannot be written make the worker's creation fail.
   */
  optional?: true
}

/** The kernel's CFS period; quotas are expressed per 100 ms. */
export const CPU_PERIOD_US = 100_000
/** The kernel refuses quotas below 1 ms. */
const MIN_QUOTA_US = 1000

export function cpuQuotaUs(cores: number): number {
  return Math.max(MIN_QUOTA_US, Math.round(cores * CPU_PERIOD_US))
}

/**
 * The writes that apply `limits` to a fresh worker cgroup, in order.
 * Swap must not be a way around the memory limit: v2 sets memory.swap.max to 0; v1 sets
 * memory.memsw.limit_in_bytes (memory + swap) to the memory limit, which must come after
 * memory.limit_in_bytes (the kernel requires memsw >= limit at every step), and swappiness 0 as a
 * fallback where memsw is not compiled in (swapaccount=0).
 */
export function limitWrites(version: 1 | 2, limits: Limits): LimitWrite[] {
  const writes: LimitWrite[] = []
  if (limits.memory !== null) {
    const bytes = String(limits.memory)
    if (version === 2) {
      writes.push({ controller: 'memory', file: 'memory.max', value: bytes })
      writes.push({ controller: 'memory', file: 'memory.swap.max', value: '0', optional: true })
    } else {
      writes.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: bytes })
      writes.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: bytes, optional: true })
      writes.push({ controller: 'memory', file: 'memory.swappiness', value: '0', optional: true })
    }
  }
  if (limits.pids !== null) {
    writes.push({ controller: 'pids', file: 'pids.max', value: String(limits.pids) })
  }
  if (limits.cpu !== null) {
    const quota = cpuQuotaUs(limits.cpu)
    if (version === 2) {
      writes.push({ controller: 'cpu', file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}` })
    } else {
      writes.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) })
      writes.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(quota) })
    }
  }
  return writes
}

/** Controllers a worker with these limits needs: memory and pids always (accounting, kill reason). */
export function controllersFor(limits: Limits): Controller[] {
  return limits.cpu === null ? ['memory', 'pids'] : ['memory', 'pids', 'cpu']
}

/**
 * The controllers to write into a v2 `cgroup.subtree_control` (as `+name`) so that `wanted` ones are
 * enabled, given what is `available` (cgroup.controllers) and already `enabled`: only what is missing.
 * Controllers that are not available are left out (the caller decides whether that is fatal).
 */
export function controllersToEnable(wanted: readonly string[], available: readonly string[], enabled: readonly string[]): string[] {
  return wanted.filter((c) => available.includes(c) && !enabled.includes(c))
}

// ---------------------------------------------------------------------------------------------
// Run directory names: `run-<pid>-<starttime>-<pidns>-<random>`, and for the leaf that holds our own
// processes in a delegated v2 cgroup `main-<pid>-<starttime>-<pidns>-<random>-<enabled>`, where
// <enabled> lists the controllers its owner turned on in the delegated cgroup (`cpu+memory+pids`, or
// `none`): should the owner die, whoever takes the leaf over turns off exactly those. The owner is
// gone when no process with that pid exists in our pid namespace, or one exists with another start
// time (the pid was reused).
// ---------------------------------------------------------------------------------------------

export interface OwnerStamp {
  pid: number
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot). */
  startTime: string
  /** Inode number of the owner's pid namespace (/proc/self/ns/pid), so pids are comparable. */
  pidNs: string
}

/** Stamped when /proc/self/ns/pid cannot be read. No namespace has inode 0, so it matches none. */
export const UNKNOWN_PID_NS = '0'

export type OwnedDir = ({ kind: 'run' } | { kind: 'main'; enabled: string[] }) & OwnerStamp

export function ownedDirName(kind: 'run', owner: OwnerStamp, random: string): string
export function ownedDirName(kind: 'main', owner: OwnerStamp, random: string, enabled: readonly string[]): string
export function ownedDirName(kind: OwnedDir['kind'], owner: OwnerStamp, random: string, enabled?: readonly string[]): string {
  const name = `${kind}-${owner.pid}-${owner.startTime}-${owner.pidNs}-${random}`
  return kind === 'run' ? name : `${name}-${enabled!.length > 0 ? enabled!.join('+') : 'none'}`
}

export function parseOwnedDirName(name: string): OwnedDir | null {
  const match = /^(run|main)-(\d+)-(\d+)-(\d+)-[a-z0-9]+(?:-(none|[a-z_]+(?:\+[a-z_]+)*))?$/.exec(name)
  // A `main-…` leaf always says what it enabled, a run directory never does.
  if (!match || (match[1] === 'main') !== (match[5] !== undefined)) return null
  const owner = { pid: Number(match[2]), startTime: match[3], pidNs: match[4] }
  if (match[1] === 'run') return { kind: 'run', ...owner }
  return { kind: 'main', ...owner, enabled: match[5] === 'none' ? [] : match[5].split('+') }
}

/**
 * Whether a directory stamped with `owner` belongs to a run that has ended. `currentStartTime` is
 * the start time of the process that now has owner.pid (null if none). Directories from another
 * pid namespace are never judged: their pids mean nothing here; nor are any when either namespace
 * is unknown, since then there is no telling whether the pids are comparable.
 */
export function ownerIsGone(owner: OwnerStamp, ourPidNs: string, currentStartTime: string | null): boolean {
  if (ourPidNs === UNKNOWN_PID_NS || owner.pidNs !== ourPidNs) return false
  return currentStartTime === null || currentStartTime !== owner.startTime
}

// ---------------------------------------------------------------------------------------------
// Kill reasons
// ---------------------------------------------------------------------------------------------

/** Flat keyed files (`memory.events`, `pids.events`, `memory.oom_control`): `key value` lines. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/)
    if (key && value !== undefined && /^\d+$/.test(value)) result[key] = Number(value)
  }
  return result
}

/** What the kernel counted in a worker's cgroup; files that could not be read are undefined. */
export interface CgroupCounters {
  /** v2 memory.events */
  memoryEvents?: string
  /** v1 memory.oom_control */
  oomControl?: string
  /** v1 memory.failcnt */
  memoryFailcnt?: string
  /** v1 and v2 pids.events */
  pidsEvents?: string
}

/**
 * Why a worker died, as far as its cgroup tells: `memory limit 512 MiB reached (oom_kill)`,
 * `pids limit 64 reached (fork/clone refused 12 times)`, both joined by `; `, or null.
 * Hitting the memory limit without a kill (the kernel reclaimed page cache) is not a reason.
 */
export function describeKill(limits: Limits, counters: CgroupCounters): string | null {
  const reasons: string[] = []
  if (limits.memory !== null) {
    const limit = `memory limit ${formatBytes(limits.memory)} reached`
    if (counters.memoryEvents !== undefined) {
      const events = parseFlatKeyed(counters.memoryEvents)
      const kills = (events.oom_kill ?? 0) + (events.oom_group_kill ?? 0)
      if (kills > 0) reasons.push(`${limit} (oom_kill)`)
      else if ((events.oom ?? 0) > 0) reasons.push(`${limit} (out of memory: an allocation was refused)`)
    } else if (counters.oomControl !== undefined) {
      const control = parseFlatKeyed(counters.oomControl)
      if ((control.oom_kill ?? 0) > 0) reasons.push(`${limit} (oom_kill)`)
      else if (control.oom_kill === undefined) {
        // Kernels before 4.13 do not count kills: the limit was hit, and maybe that was fatal.
        const failcnt = Number(counters.memoryFailcnt ?? 0)
        if ((control.under_oom ?? 0) > 0 || failcnt > 0) reasons.push(`${limit} (limit hit ${failcnt} times)`)
      }
    }
  }
  if (limits.pids !== null && counters.pidsEvents !== undefined) {
    const refused = parseFlatKeyed(counters.pidsEvents).max ?? 0
    if (refused > 0) {
      reasons.push(`pids limit ${limits.pids} reached (fork/clone refused ${refused} time${refused === 1 ? '' : 's'})`)
    }
  }
  return reasons.length > 0 ? reasons.join('; ') : null
}
