/**
 * Every process of a sandbox is waited for: none outlives its run, not even as a zombie (under a
 * container's pid 1 that does not reap, `docker run` without `--init`, a zombie stays forever).
 *
 * bwrap runs as two processes: the monitor we spawn, and its child, pid 1 of the sandbox's pid
 * namespace (bwrap's reaper, parent of the worker). The monitor does not always wait for that child:
 * a signal kills the monitor first (the child then dies of --die-with-parent), and when the worker
 * exits on its own (a crash, an OOM kill) pid 1 reports its status over an eventfd and the monitor
 * exits on that report without waiting. Either way pid 1 is orphaned. A monitor killed before it
 * wrote --info-fd (a spare launched just as Vitest exits, or Ctrl-C to the process group) leaves an
 * orphan whose pid we were never told: it is found among our children as one in a pid namespace below
 * ours, which no child Node spawned itself can be. So:
 *  - while sandboxes run, Vitest's process is a child subreaper: an orphaned pid 1 is reparented to
 *    us rather than to the host's init, and we wait for it. That pid only, which bwrap reports on
 *    --info-fd: Node's own children are libuv's to wait for.
 *  - when Vitest's process exits with sandboxes still running (Ctrl-C, SIGTERM, a crash), no event
 *    loop is left: an 'exit' hook kills their monitors and waits for them and their pid 1
 *    synchronously.
 * waitpid and prctl come from the C library through koffi.
 */
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import type { Readable } from 'node:stream'
import { sleepSync } from '../cgroup/cgroupfs.js'

/** How long a pid 1 may take to go once its monitor has (milliseconds, in practice); then SIGKILL. */
const GRACE_MS = 2_000
/** A process that outlives SIGKILL this long is stuck in the kernel: waiting on would hang Vitest. */
const GIVE_UP_MS = 10_000
const POLL_MS = 10

interface Sandbox {
  monitor: ChildProcess
  /** Pid 1 of the sandbox's namespace, once bwrap has said it. */
  init: number | null
  /** Settles once the monitor and its pid 1 have both been waited for. */
  reaped: Promise<void>
}

/** Sandboxes whose monitor or pid 1 may still need waiting for. */
const running = new Set<Sandbox>()
const byMonitor = new WeakMap<ChildProcess, Sandbox>()
let exitHookInstalled = false

/** The pid that bwrap's --info-fd JSON gives for the sandbox's pid 1, or null. */
export function parseChildPid(info: string): number | null {
  try {
    const pid = (JSON.parse(info) as { 'child-pid'?: unknown })['child-pid']
    return Number.isInteger(pid) && (pid as number) > 0 ? (pid as number) : null
  } catch {
    return null
  }
}

/** Waits for a launched bwrap (the monitor) and, if it was orphaned, for its pid 1 (from --info-fd). */
export function watchSandbox(monitor: ChildProcess, info: Readable): void {
  if (monitor.pid === undefined) return // it never started
  if (running.size === 0) libc().subreaper(true)
  const sandbox: Sandbox = { monitor, init: null, reaped: Promise.resolve() }
  running.add(sandbox)
  byMonitor.set(monitor, sandbox)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', reapAllSync)
  }
  let text = ''
  info.on('data', (chunk: Buffer) => (text += chunk.toString()))
  info.on('error', () => {})
  // bwrap closes the fd once it has written (a monitor that dies first never writes).
  const reported = new Promise<void>((resolve) =>
    info.once('close', () => {
      sandbox.init = parseChildPid(text)
      resolve()
    }),
  )
  // Not events.once: that rejects on the monitor's 'error' (e.g. EPIPE on its channel), not ours.
  const exited = new Promise((resolve) => monitor.once('exit', resolve))
  sandbox.reaped = Promise.all([reported, exited]).then(() => reapInit(sandbox))
}

/** Settles once a watched monitor and its sandbox's pid 1 have both been waited for. */
export function reaped(monitor: ChildProcess): Promise<void> {
  return byMonitor.get(monitor)?.reaped ?? Promise.resolve()
}

/** After the monitor exited: waits for its pid 1 if that was orphaned to us (else the monitor did). */
async function reapInit(sandbox: Sandbox): Promise<void> {
  for (const pid of sandbox.init !== null ? [sandbox.init] : orphanedInits()) {
    const started = Date.now()
    while (libc().waitpid(pid) === 'running' && Date.now() - started < GIVE_UP_MS) {
      if (Date.now() - started > GRACE_MS) killQuietly(pid)
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }
  forget(sandbox)
}

/** The process is exiting: ends every sandbox still running and waits for all of it before we go. */
function reapAllSync(): void {
  const sandboxes = [...running]
  for (const { monitor } of sandboxes) if (monitor.exitCode === null && monitor.signalCode === null) monitor.kill('SIGKILL')
  // The monitors first: a pid 1 is ours to wait for only once its monitor has gone.
  for (const sandbox of sandboxes) waitSync(sandbox.monitor.pid!)
  for (const sandbox of sandboxes) if (sandbox.init !== null) waitSync(sandbox.init)
  if (sandboxes.some((sandbox) => sandbox.init === null)) for (const pid of orphanedInits()) waitSync(pid)
  for (const sandbox of sandboxes) forget(sandbox)
}

function waitSync(pid: number): void {
  const started = Date.now()
  while (libc().waitpid(pid) === 'running' && Date.now() - started < GIVE_UP_MS) {
    if (Date.now() - started > GRACE_MS) killQuietly(pid)
    sleepSync(POLL_MS)
  }
}

/**
 * Our children that live in a pid namespace below ours (NSpid lists more pids than ours): sandbox
 * pid 1s orphaned to us, never a child Node spawned itself. Read from /proc/<pid>/status, which a
 * zombie still has.
 */
export function orphanedInits(): number[] {
  const depth = (status: string) => /^NSpid:(.*)$/m.exec(status)?.[1].trim().split(/\s+/).length ?? 0
  const own = depth(readQuietly('/proc/self/status'))
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    const status = readQuietly(`/proc/${pid}/status`)
    return Number(/^PPid:\s*(\d+)$/m.exec(status)?.[1]) === process.pid && depth(status) > own
  })
}

function readQuietly(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return '' // gone meanwhile
  }
}

function forget(sandbox: Sandbox): void {
  if (running.delete(sandbox) && running.size === 0) libc().subreaper(false)
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone
  }
}

/** Whether this process is a child subreaper now: only while sandboxes of it run. */
export function isSubreaper(): boolean {
  return libc().isSubreaper()
}

interface Libc {
  /** PR_SET_CHILD_SUBREAPER on this process. */
  subreaper(on: boolean): void
  isSubreaper(): boolean
  /** waitpid(pid, WNOHANG): 'running', or 'gone' once reaped here or when not our child (ECHILD). */
  waitpid(pid: number): 'running' | 'gone'
}

let loaded: Libc | undefined

function libc(): Libc {
  if (loaded) return loaded
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi')
  // The C library Node itself runs on (glibc or musl): its symbols are in the process already.
  const lib = koffi.load(null)
  const prctl = lib.func('int prctl(int option, ...)') as (...args: unknown[]) => number
  const waitpid = lib.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number
  const PR_SET_CHILD_SUBREAPER = 36
  const PR_GET_CHILD_SUBREAPER = 37
  const WNOHANG = 1
  const EINTR = 4
  loaded = {
    subreaper: (on) => void prctl(PR_SET_CHILD_SUBREAPER, 'unsigned long', on ? 1 : 0),
    isSubreaper: () => {
      const flag = [0]
      prctl(PR_GET_CHILD_SUBREAPER, '_Out_ int *', flag)
      return flag[0] !== 0
    },
    waitpid: (pid) => {
      for (;;) {
        const result = waitpid(pid, [0], WNOHANG)
        if (result === 0) return 'running'
        if (result === -1 && koffi.errno() === EINTR) continue
        return 'gone'
      }
    },
  }
  return loaded
}
