/**
 * Waiting for a sandbox to be gone as a whole. bwrap's own process exits first; the sandbox's pid 1
 * (bwrap's child, killed through --die-with-parent) and everything in its pid namespace follow a moment
 * later, torn down by the kernel. With a cgroup, emptying it waits for them; without one (rootless on
 * cgroup v1) the pool waits for that child itself, so that "stopped" means no process is left.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** The children of `pid` (from /proc; empty when it has none or is gone). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** A process that is still running (a zombie has no command line left: it is gone but for its entry). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`).length > 0
  } catch {
    return false
  }
}

/** Resolves once none of `pids` runs any more, or after `ms`. */
export async function whenGone(pids: readonly number[], ms: number): Promise<void> {
  for (const end = Date.now() + ms; pids.some(running) && Date.now() < end;) await sleep(5)
}
