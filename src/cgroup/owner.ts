/**
 * Who owns a directory a run leaves on the host (its cgroups, its relay sockets): this process,
 * stamped with its start time and pid namespace, so that a later run can tell a live owner from a
 * dead one whose pid was reused, and reap what the dead one left (see ownerIsGone in plan.ts).
 */
import { readlinkSync } from 'node:fs'
import { readText } from './cgroupfs.js'
import { parseProcStat } from './detect.js'
import { UNKNOWN_PID_NS, type OwnerStamp } from './plan.js'

/** This process's stamp, or null when /proc/self/stat cannot be read. */
export function currentOwner(): OwnerStamp | null {
  const startTime = startTimeOf(process.pid)
  return startTime === null ? null : { pid: process.pid, startTime, pidNs: ownPidNs() }
}

/** Unknown (it then matches no other namespace, ours included) when the link cannot be read. */
export function ownPidNs(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? UNKNOWN_PID_NS
  } catch {
    return UNKNOWN_PID_NS
  }
}

/** The start time of the process that has `pid` now, or null if there is none. */
export function startTimeOf(pid: number): string | null {
  const text = readText(`/proc/${pid}/stat`)
  return text === undefined ? null : (parseProcStat(text)?.startTime ?? null)
}
