/**
 * Joining a cgroup before anything runs: the launcher writes its own pid into each `cgroup.procs`
 * file and only then execs the real command, so bwrap and everything it starts are born inside
 * the worker's cgroup. There is no window in which a process of the sandbox runs outside it.
 */

/** Exit status of the launcher when it could not join a cgroup (nothing of argv has run). */
export const ENTER_FAILED_EXIT_CODE = 125

/** Written to stderr, followed by the cgroup.procs path, when joining fails. */
export const ENTER_FAILED_MESSAGE = 'vitest-pool-nsjail: could not move the sandbox into its cgroup'

// `for f do` iterates over a copy of the arguments taken before the loop, so `shift` inside only
// consumes the cgroup files; at `--` what is left in "$@" is argv. `exec` keeps the pid (the one
// written into the cgroups) for bwrap. /bin/sh is POSIX on every Linux (dash, bash, busybox).
const SCRIPT = [
  'for f do',
  '  shift',
  '  if [ "$f" = -- ]; then exec "$@"; fi',
  `  echo $$ >"$f" || { echo "${ENTER_FAILED_MESSAGE} ($f)" >&2; exit ${ENTER_FAILED_EXIT_CODE}; }`,
  'done',
  `exit ${ENTER_FAILED_EXIT_CODE}`,
].join('\n')

/**
 * `argv` prefixed so that the process first joins every cgroup in `procsFiles` (absolute paths of
 * `cgroup.procs` files), then execs `argv`. With no files, `argv` is returned unchanged.
 * If joining fails, nothing of `argv` runs, the launcher exits with ENTER_FAILED_EXIT_CODE (125)
 * and stderr says which cgroup (plus the shell's own error, e.g. "Permission denied").
 */
export function enterCommand(procsFiles: readonly string[], argv: readonly string[]): string[] {
  if (argv.length === 0) throw new TypeError('enterCommand: argv is empty')
  if (procsFiles.length === 0) return [...argv]
  for (const file of procsFiles) {
    if (!file.startsWith('/') || file === '--') throw new TypeError(`enterCommand: not an absolute path: ${file}`)
  }
  return ['/bin/sh', '-c', SCRIPT, 'vitest-pool-nsjail-enter', ...procsFiles, '--', ...argv]
}
