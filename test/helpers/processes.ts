/** What a run left behind on the host: processes by command line, and this pool's cgroup directories. */
import { execFileSync } from 'node:child_process'
import { BASE_DIR_NAME } from '../../src/cgroup/index.js'
import { listTree } from '../cgroup/helpers.js'

/** Host processes whose command line contains `needle`. */
export const processes = (needle: string): string[] =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(needle) && !line.includes(' ps -eo'))

/**
 * Directories of ours (below a `vitest-pool-nsjail` directory) in every cgroup hierarchy, of the runs
 * of the Vitest process `pid` (its run directories are named `run-<pid>-…`): other runs on the machine
 * come and go meanwhile.
 */
export const ourCgroupDirs = (pid: number): string[] =>
  listTree('/sys/fs/cgroup').filter((d) => d.includes(`/${BASE_DIR_NAME}/run-${pid}-`))

/** Polls `condition` every 100 ms for up to `ms`; its last answer. */
export async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (condition()) return true
  }
  return condition()
}
