/**
 * Per-worker cgroups (memory, pids, cpu) on cgroup v2 and v1, as root or rootless.
 *
 *   const run = await openCgroups(options.cgroups ?? 'auto', warn)   // once, before any test
 *     (or, in two steps: the probe's tryOpenCgroups(), then applyCgroupsMode(opening, mode, warn))
 *   const cg = await run?.createWorker(policy.limits)                 // per sandboxed worker
 *   spawn(...enterCommand(cg?.joinFiles ?? [], bwrapArgv))           // joins, then execs bwrap
 *   …worker exits… → await cg.killReason(); await cg.remove()
 *   await run?.close()  (and run.closeSync() from a process 'exit' handler; also installed here)
 */
export type { Limits, LimitsOption } from './types.js'
export {
  DEFAULT_LIMITS,
  MIN_CPU,
  MIN_MEMORY,
  describeLimits,
  formatBytes,
  formatDuration,
  parseDuration,
  parseSize,
  resolveLimits,
} from './limits.js'
export { ENTER_FAILED_EXIT_CODE, ENTER_FAILED_MESSAGE, enterCommand } from './enter.js'
export {
  BASE_DIR_NAME,
  applyCgroupsMode,
  closeAllSync,
  openCgroups,
  tryOpenCgroups,
  unavailableText,
  type CgroupOpening,
  type CgroupRun,
  type CgroupsMode,
  type WorkerCgroup,
} from './cgroups.js'
export type { Controller } from './detect.js'
