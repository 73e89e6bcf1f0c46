/**
 * Descriptors that would reach a sandbox by accident. Node's spawn (libuv) closes nothing in the
 * child, and neither does bwrap: every descriptor of Vitest's process without close-on-exec is
 * inherited by the worker, beneath every mount of the sandbox. A directory left open on the host's
 * `/` by whatever started Vitest makes the whole host readable through `/proc/self/fd/N/…`; a host
 * file, socket or pipe becomes writable. (Node marks its first 16 descriptors close-on-exec when it
 * starts, so these are the ones above, or opened later by code that did not ask for it.)
 *
 * They stay as they are in Vitest's process, where they belong to whoever opened them and its other
 * children may rely on them. The sandbox's worker closes them instead, first thing, before any code
 * of the project runs (src/worker/close-inherited-fds.cts): the pool lists them in INHERITED_FDS_ENV.
 * What the worker keeps is stdio, its channel to Vitest (fd 3) and what Node opens itself. bwrap
 * closes its own inputs (the /etc files and the seccomp program) once it has read them.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { builtFile } from '../built-files.js'

/** Names the descriptors for the worker to close, e.g. `200,251`; removed from its environment then. */
export const INHERITED_FDS_ENV = 'NSJAIL_INHERITED_FDS'

/** `node --require` this first: it closes what INHERITED_FDS_ENV names. */
export const CLOSE_INHERITED_FDS = builtFile('worker/close-inherited-fds.cjs')

const O_CLOEXEC = 0o2000000

/** Whether a `/proc/<pid>/fdinfo/<fd>` text says close-on-exec (its `flags:` are octal open flags). */
export function closeOnExec(fdinfo: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo)
  return flags !== null && (parseInt(flags[1], 8) & O_CLOEXEC) !== 0
}

/**
 * This process's descriptors from `from` up that a child spawned now would inherit. Those below `from`
 * are the child's stdio array, replaced by spawn. Read at spawn time: descriptors come and go.
 */
export function inheritedFds(from: number): number[] {
  const fds: number[] = []
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name)
    if (fd < from) continue
    try {
      if (!closeOnExec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))) fds.push(fd)
    } catch {
      // closed meanwhile (the one readdir used, among others)
    }
  }
  return fds.sort((a, b) => a - b)
}
