/**
 * Joining a cgroup before anything runs: the launcher writes itself into each cgroup's join file
 * and only then execs the real command, so bwrap and everything it starts are born inside the
 * worker's cgroup. There is no window in which a process of the sandbox runs outside it.
 *
 * It writes `0`, which names the writer itself. In a v1 `tasks` file that is the writing thread:
 * the launcher shell has only one, so the whole process moves, and the kernel (6.x) then skips
 * the system-wide lock a process move takes, whose RCU grace period cost each sandbox 11–19 ms
 * on the test machine (`bench/cgroup-join.mjs`). v2 has no such file for a domain cgroup:
 * there it is `cgroup.procs`, the process.
 */

/** Exit status of the launcher when it could not join a cgroup (nothing of argv has run). */
export const ENTER_FAILED_EXIT_CODE = 125

/** Written to stderr, followed by the join file's path, when joining fails. */
export const ENTER_FAILED_MESSAGE = 'vitest-pool-nsjail: could not move the sandbox into its cgroup'

// `for f do` iterates over a copy of the arguments taken before the loop, so `shift` inside only
// consumes the cgroup files; at `--` what is left in "$@" is argv. `exec` keeps the process (the
// one now in the cgroups) for bwrap. /bin/sh is POSIX and single-threaded on every Linux (dash,
// bash, busybox).
const SCRIPT = [
  'for f do',
  '  shift',
  '  if [ "$f" = -- ]; then exec "$@"; fi',
  `  echo 0 >"$f" || { echo "${ENTER_FAILED_MESSAGE} ($f)" >&2; exit ${ENTER_FAILED_EXIT_CODE}; }`,
  'done',
  `exit ${ENTER_FAILED_EXIT_CODE}`,
].join('\n')

/**
 * `argv` prefixed so that the process first joins every cgroup in `joinFiles` (absolute paths of
 * v1 `tasks` or v2 `cgroup.procs` files), then execs `argv`. With no files, `argv` is returned unchanged.
 * If joining fails, nothing of `argv` runs, the launcher exits with ENTER_FAILED_EXIT_CODE (125)
 * and stderr says which cgroup (plus the shell's own error, e.g. "Permission denied").
 */
export function enterCommand(joinFiles: readonly string[], argv: readonly string[]): string[] {
  if (argv.length === 0) throw new TypeError('enterCommand: argv is empty')
  if (joinFiles.length === 0) return [...argv]
  for (const file of joinFiles) {
    if (!file.startsWith('/') || file === '--') throw new TypeError(`enterCommand: not an absolute path: ${file}`)
  }
  return ['/bin/sh', '-c', SCRIPT, 'vitest-pool-nsjail-enter', ...joinFiles, '--', ...argv]
}
