/**
 * One run's cgroups: finding a writable place, creating a cgroup per worker, explaining kills and
 * cleaning up (also from a process 'exit' handler, and for runs that died without cleaning up).
 *
 * Layout (names carry the owner's pid, start time and pid namespace, see plan.ts):
 *
 *   cgroup v2, writable namespace root (root, or a rootless container whose root is delegated):
 *     <mount>/vitest-pool-nsjail/run-…/w-<n>
 *   cgroup v2, delegated cgroup C that we are in (systemd-run --user --scope -p Delegate=yes):
 *     C/vitest-pool-nsjail/main-…     our own process (and the ancestors that launched us); its
 *                                     name lists the controllers we enabled in C
 *     C/vitest-pool-nsjail/run-…/w-<n>
 *     The no-internal-processes rule forbids enabling controllers in C's subtree_control while
 *     processes sit in C, so we move ourselves into the `main-…` leaf first. Processes in C that
 *     are our ancestors (npx, npm, the shell of `echo $$ > …/cgroup.procs`) or descendants are
 *     moved too: they are the command the cgroup was delegated for, and C cannot distribute
 *     memory otherwise. Any other process in C makes us give up and say which one. On close we
 *     undo it (our controllers off, processes back into C) when no other run still uses the
 *     subtree; a later run from a shell left in the leaf of a dead run undoes what that run did.
 *   cgroup v1: in each hierarchy (memory, pids, cpu) separately, under our own cgroup there:
 *     <our memory cgroup>/vitest-pool-nsjail/run-…/w-<n>, <our pids cgroup>/…, <our cpu cgroup>/…
 */
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { SandboxUnavailableError } from '../policy/errors.js'
import { cgroupFix, cpuFix, type FixHost } from '../probe/fixes.js'
import * as cgfs from './cgroupfs.js'
import {
  CONTROLLERS,
  type CgroupLocation,
  type Controller,
  locateCgroups,
  parseControllerList,
  parseMountinfo,
  parseProcCgroup,
  parseProcStat,
} from './detect.js'
import {
  type CgroupCounters,
  controllersFor,
  controllersToEnable,
  describeKill,
  limitWrites,
  type OwnerStamp,
  ownedDirName,
  ownerIsGone,
  parseOwnedDirName,
} from './plan.js'
import type { Limits } from './types.js'
import { currentOwner, startTimeOf } from './owner.js'

export type CgroupsMode = 'auto' | 'required' | false

/** The directory of ours in each hierarchy (and the shared parent of run directories). */
export const BASE_DIR_NAME = 'vitest-pool-nsjail'

export interface WorkerCgroup {
  /** The worker's cgroup directory (v1: the one in the memory hierarchy). */
  readonly path: string
  /** Every directory of this worker (v2: one; v1: one per hierarchy). */
  readonly dirs: readonly string[]
  /** The files to join before the sandbox starts (v1 `tasks`, v2 `cgroup.procs`): pass them to enterCommand(). */
  readonly joinFiles: readonly string[]
  readonly limits: Limits
  /** Why the kernel stopped the worker (memory or pids limit), or null; call after it exited. */
  killReason(): Promise<string | null>
  /** SIGKILLs everything still inside, until nothing is left. */
  killAll(): Promise<void>
  /** killAll, then removes the cgroup. Never throws; a cgroup that would not go is retried by close. */
  remove(): Promise<void>
}

export interface CgroupRun {
  readonly version: 1 | 2
  /** Controllers that are enforced (cpu may be missing, e.g. in a systemd user delegation). */
  readonly controllers: readonly Controller[]
  /** Why cpu is not enforced, when it is not. */
  readonly cpuMissing: string | null
  /** This run's directories (v2: one; v1: one per hierarchy). */
  readonly dirs: readonly string[]
  createWorker(limits: Limits): Promise<WorkerCgroup>
  /** Removes every worker cgroup (killing what is left) and the run's own directories. */
  close(): Promise<void>
  /** The same, synchronously: for a process 'exit' handler. Idempotent. */
  closeSync(): void
}

/** Messages already given by `warn` in this process: each is given once. */
const warned = new Set<string>()
function warnOnce(warn: (message: string) => void, message: string): void {
  if (warned.has(message)) return
  warned.add(message)
  warn(message)
}

/** The outcome of trying to set up this run's cgroups: the run, or why there is none. */
export type CgroupOpening =
  | { run: CgroupRun; reason?: undefined; version?: undefined }
  | { run: null; reason: string; version: 1 | 2 | null }

/**
 * Tries to set up this run's cgroups (stale directories of runs whose process is gone are reaped on
 * the way). Never throws for a machine without a writable cgroup: it says why instead.
 */
export function tryOpenCgroups(warn: (message: string) => void = () => {}): CgroupOpening {
  let setup: Setup
  try {
    setup = setUp()
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error
    return { run: null, reason: error.reason, version: error.version }
  }
  const run = new Run(setup, warn)
  openRuns.add(run)
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true
    process.on('exit', closeAllSync)
  }
  return { run }
}

/**
 * What a `cgroups` mode makes of an opening: the run, or null. `'auto'`: null plus one warning when
 * no cgroup is writable. `'required'`: throws SandboxUnavailableError then. In both cases the text
 * names the reason, what is not enforced and how to enable it, for `host` when its facts are known.
 */
export function applyCgroupsMode(opening: CgroupOpening, mode: 'auto' | 'required', warn: (message: string) => void, host: FixHost = null): CgroupRun | null {
  if (mode !== 'auto' && mode !== 'required') throw new TypeError(`openCgroups: bad mode ${String(mode)}`)
  if (opening.run) return opening.run
  const text = unavailableText(opening.reason, opening.version, host)
  if (mode === 'required') throw new SandboxUnavailableError(`\`cgroups: 'required'\`, but ${text}`)
  warnOnce(warn, `vitest-pool-nsjail: ${text} Tests run without these limits; \`cgroups: false\` silences this warning, \`cgroups: 'required'\` makes it an error.`)
  return null
}

/** tryOpenCgroups() under a `cgroups` mode (`false`: null, nothing touched). */
export async function openCgroups(mode: CgroupsMode, warn: (message: string) => void): Promise<CgroupRun | null> {
  if (mode === false) return null
  return applyCgroupsMode(tryOpenCgroups(warn), mode, warn)
}

/** closeSync() of every run still open in this process. Installed as a process 'exit' handler. */
export function closeAllSync(): void {
  for (const run of [...openRuns]) run.closeSync()
}

const openRuns = new Set<Run>()
let exitHandlerInstalled = false

export function unavailableText(reason: string, version: 1 | 2 | null, host: FixHost = null): string {
  return `no writable cgroup is available (${reason}), so \`limits\` (memory, pids, cpu) cannot be enforced. To enable them, ${cgroupFix(version, host).join('; ')}.`
}

// ---------------------------------------------------------------------------------------------
// Setting up
// ---------------------------------------------------------------------------------------------

class Unavailable extends Error {
  constructor(
    readonly reason: string,
    readonly version: 1 | 2 | null,
  ) {
    super(reason)
  }
}

/** One hierarchy's share of the run (v2 has a single one holding all controllers). */
interface Hierarchy {
  controllers: Controller[]
  runDir: string
}

interface Setup {
  version: 1 | 2
  hierarchies: Hierarchy[]
  /** Why cpu is not enforced, when it is not. */
  cpuMissing: string | null
  /** Removes the run directories and undoes what setting up did. Synchronous, best effort. */
  teardown(): void
}

function readProc(file: string): string {
  const text = cgfs.readText(file)
  if (text === undefined) throw new Unavailable(`cannot read ${file}`, null)
  return text
}

function ownerStamp(): OwnerStamp {
  const owner = currentOwner()
  if (!owner) throw new Unavailable('cannot parse /proc/self/stat', null)
  return owner
}

function uidText(): string {
  return `uid ${process.getuid?.() ?? '?'}`
}

function setUp(): Setup {
  const layout = locateCgroups(parseProcCgroup(readProc('/proc/self/cgroup')), parseMountinfo(readProc('/proc/self/mountinfo')))
  if (layout.version === null) throw new Unavailable(layout.reason, null)
  const owner = ownerStamp()
  const runName = ownedDirName('run', owner, randomBytes(4).toString('hex'))
  return layout.version === 1 ? setUpV1(layout.hierarchies, runName, owner.pidNs) : setUpV2(layout.unified, runName, owner)
}

/** Removes directories in `base` left by runs whose process is gone. Never touches live runs. */
function reap(base: string, pidNs: string): void {
  for (const name of cgfs.childDirs(base)) {
    const stamp = parseOwnedDirName(name)
    if (!stamp || !ownerIsGone(stamp, pidNs, startTimeOf(stamp.pid))) continue
    const dir = join(base, name)
    if (stamp.kind === 'run') cgfs.destroySync(dir, 2000)
    // A `main-…` leaf may still hold the ancestors of the dead run (its shell, npm): never kill
    // those; the leaf goes once it is empty.
    else if (cgfs.listPids(dir).length === 0) cgfs.removeDir(dir)
  }
}

/** mkdir base (if needed) and base/name; retried when a concurrent run removed an empty base. */
function makeRunDir(base: string, name: string): string {
  const dir = join(base, name)
  for (let attempt = 0; ; attempt++) {
    cgfs.makeDir(base)
    try {
      cgfs.makeDir(dir)
      return dir
    } catch (error) {
      if (!(error instanceof cgfs.CgroupFsError) || error.code !== 'ENOENT' || attempt >= 3) throw error
    }
  }
}

function setUpV1(located: Partial<Record<Controller, CgroupLocation>>, runName: string, pidNs: string): Setup {
  for (const controller of ['memory', 'pids'] as const) {
    const location = located[controller]
    if (!location) throw new Unavailable(`the cgroup v1 ${controller} hierarchy is not mounted`, 1)
    if (!cgfs.canWrite(location.dir)) throw new Unavailable(`${location.dir} is not writable by ${uidText()}`, 1)
  }
  let cpuMissing: string | null = null
  const cpu = located.cpu
  if (!cpu) cpuMissing = 'the cgroup v1 cpu hierarchy is not mounted'
  else if (!cgfs.canWrite(cpu.dir)) cpuMissing = `${cpu.dir} is not writable by ${uidText()}`

  // Group controllers that share a hierarchy (e.g. a `cpu,cpuacct` or a co-mounted one).
  const byDir = new Map<string, Controller[]>()
  for (const controller of CONTROLLERS) {
    const location = located[controller]
    if (!location || (controller === 'cpu' && cpuMissing)) continue
    byDir.set(location.dir, [...(byDir.get(location.dir) ?? []), controller])
  }
  const hierarchies: Hierarchy[] = []
  const teardown = (): void => {
    for (const h of hierarchies) {
      cgfs.destroySync(h.runDir)
      cgfs.removeDir(dirname(h.runDir)) // the shared base, if no other run uses it
    }
  }
  try {
    for (const [dir, controllers] of byDir) {
      const base = join(dir, BASE_DIR_NAME)
      cgfs.makeDir(base)
      reap(base, pidNs)
      hierarchies.push({ controllers, runDir: makeRunDir(base, runName) })
    }
  } catch (error) {
    teardown()
    throw new Unavailable(error instanceof Error ? error.message : String(error), 1)
  }
  return { version: 1, hierarchies, cpuMissing, teardown }
}

function controllersOf(dir: string): string[] {
  return parseControllerList(cgfs.readText(join(dir, 'cgroup.controllers')) ?? '')
}
function subtreeOf(dir: string): string[] {
  return parseControllerList(cgfs.readText(join(dir, 'cgroup.subtree_control')) ?? '')
}

/** Enables `wanted` in dir's subtree_control (those available); returns what it had to add. */
function enableControllers(dir: string, wanted: readonly string[]): string[] {
  const adding = controllersToEnable(wanted, controllersOf(dir), subtreeOf(dir))
  if (adding.length > 0) cgfs.writeText(join(dir, 'cgroup.subtree_control'), adding.map((c) => `+${c}`).join(' '))
  return adding
}

function requireMemoryAndPids(dir: string): string[] {
  const available = controllersOf(dir)
  const missing = ['memory', 'pids'].filter((c) => !available.includes(c))
  if (missing.length > 0) {
    throw new Unavailable(
      `the ${missing.join(' and ')} controller${missing.length > 1 ? 's are' : ' is'} not available in ${dir} (cgroup.controllers: ${available.join(' ') || 'empty'})`,
      2,
    )
  }
  return available
}

function setUpV2(location: CgroupLocation, runName: string, owner: OwnerStamp): Setup {
  const root = location.mountPoint
  const own = location.dir
  const problems: string[] = []
  if (location.readOnly) throw new Unavailable(`the cgroup2 file system at ${root} is mounted read-only`, 2)

  // A: the namespace root is ours to write (root, or a delegated container root).
  if (['', 'cgroup.procs', 'cgroup.subtree_control'].every((f) => cgfs.canWrite(join(root, f)))) {
    try {
      return setUpV2Under(root, runName, owner, 'root')
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error
      problems.push(error.reason)
    }
  }

  // B: the cgroup we are in was delegated to us.
  if (own !== root || problems.length > 0) {
    if (!['', 'cgroup.procs', 'cgroup.subtree_control'].every((f) => cgfs.canWrite(join(own, f)))) {
      problems.push(`our cgroup ${own} is not writable by ${uidText()} (not delegated)`)
    } else {
      try {
        const parent = dirname(own)
        // We were started from a shell that an earlier run moved into its `main-…` leaf (that run
        // is still going, or was killed before it could move its processes back).
        if (basename(parent) === BASE_DIR_NAME && parseOwnedDirName(basename(own))?.kind === 'main') {
          return setUpV2Under(dirname(parent), runName, owner, 'leaf', own)
        }
        return setUpV2Under(own, runName, owner, 'delegated')
      } catch (error) {
        if (!(error instanceof Unavailable)) throw error
        problems.push(error.reason)
      }
    }
  } else {
    problems.push(`the cgroup2 root ${root} is not writable by ${uidText()}`)
  }
  throw new Unavailable(problems.join('; '), 2)
}

/**
 * What moving our processes out of a delegated cgroup changed, so that the last run of this
 * process using it can undo it. Keyed by the leaf our processes were moved into.
 */
interface Delegation {
  /** The delegated cgroup (its subtree_control got `enabled`). */
  cgroup: string
  base: string
  leaf: string
  enabled: string[]
  /** Open runs of this process that rely on it. */
  users: number
}
const delegations = new Map<string, Delegation>()

/** Undoes a delegation setup when no run (of any process) uses the subtree any more. Best effort. */
function undoDelegation(d: Delegation): void {
  if (cgfs.childDirs(d.base).some((name) => join(d.base, name) !== d.leaf)) return // other runs: leave it
  try {
    // Controllers off (children first), our processes back where they were, then the leaf and base.
    const inBase = subtreeOf(d.base)
    if (inBase.length > 0) cgfs.writeText(join(d.base, 'cgroup.subtree_control'), inBase.map((c) => `-${c}`).join(' '))
    const enabled = d.enabled.filter((c) => subtreeOf(d.cgroup).includes(c))
    if (enabled.length > 0) cgfs.writeText(join(d.cgroup, 'cgroup.subtree_control'), enabled.map((c) => `-${c}`).join(' '))
    for (const pid of cgfs.listPids(d.leaf)) {
      try {
        cgfs.moveProcess(pid, d.cgroup)
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return // leave it: a later run reaps the leaf once its processes are gone
  }
  cgfs.removeDir(d.leaf)
  cgfs.removeDir(d.base)
}

/**
 * Sets up `parent/vitest-pool-nsjail/run-…`.
 *  - `how: 'root'`: parent is the writable namespace root; enable controllers there if needed.
 *  - `how: 'delegated'`: parent is the delegated cgroup we are in; move our processes into a
 *    `main-…` leaf first (see vacate) and record that as a Delegation to undo.
 *  - `how: 'leaf'`: we already sit in a `main-…` leaf (`leaf`) of parent's base, made by an earlier
 *    run of this process (shared), or of a process that is gone (we take over undoing it), or of
 *    another live process (a sibling run started from the same shell: it undoes it).
 */
function setUpV2Under(parent: string, runName: string, owner: OwnerStamp, how: 'root' | 'delegated' | 'leaf', leaf?: string): Setup {
  const base = join(parent, BASE_DIR_NAME)
  const available = requireMemoryAndPids(parent)
  const wanted = CONTROLLERS.filter((c) => available.includes(c))
  const cpuMissing = wanted.includes('cpu') ? null : `the cpu controller is not available in ${parent}`

  let delegation: Delegation | undefined
  let runDir: string | null = null
  let undone = false

  const teardown = (): void => {
    if (undone) return
    undone = true
    if (runDir) cgfs.destroySync(runDir)
    if (!delegation) {
      cgfs.removeDir(base) // only if empty: other runs may use it
      return
    }
    if (--delegation.users > 0) return
    delegations.delete(delegation.leaf)
    undoDelegation(delegation)
  }

  try {
    if (how === 'root') {
      try {
        enableControllers(parent, wanted)
      } catch (error) {
        const busy = error instanceof cgfs.CgroupFsError && error.code === 'EBUSY'
        throw new Unavailable(
          `cannot enable ${wanted.join(', ')} in ${parent}/cgroup.subtree_control${busy ? ': it holds processes' : ''} (${(error as Error).message})`,
          2,
        )
      }
    }
    cgfs.makeDir(base)
    reap(base, owner.pidNs)
    if (how === 'delegated') {
      // The leaf's name records what we are about to enable in parent, for whoever has to undo it
      // should this process die first.
      const enabling = controllersToEnable(wanted, available, subtreeOf(parent))
      const mainDir = join(base, ownedDirName('main', owner, randomBytes(4).toString('hex'), enabling))
      cgfs.makeDir(mainDir)
      delegation = { cgroup: parent, base, leaf: mainDir, enabled: [], users: 1 }
      delegations.set(mainDir, delegation)
      vacate(parent, mainDir, enabling)
      delegation.enabled = enabling
    } else if (how === 'leaf' && leaf) {
      delegation = delegations.get(leaf)
      if (delegation) delegation.users++
      else {
        const stamp = parseOwnedDirName(basename(leaf))
        if (stamp?.kind === 'main' && ownerIsGone(stamp, owner.pidNs, startTimeOf(stamp.pid))) {
          // We take over undoing its owner's setup: what its name says it enabled, and nothing that
          // parent's subtree_control gained otherwise (before it, or since).
          delegation = { cgroup: parent, base, leaf, enabled: stamp.enabled, users: 1 }
          delegations.set(leaf, delegation)
        }
      }
    }
    enableControllers(base, wanted)
    runDir = makeRunDir(base, runName)
    enableControllers(runDir, wanted)
  } catch (error) {
    teardown()
    if (error instanceof Unavailable) throw error
    throw new Unavailable((error as Error).message, 2)
  }
  return { version: 2, hierarchies: [{ controllers: wanted, runDir }], cpuMissing, teardown }
}

/**
 * Moves our process (and our ancestors and descendants found in `cgroup`) into `leaf`, then
 * enables `wanted` in cgroup's subtree_control.
 * Throws Unavailable naming the foreign processes that keep `cgroup` from distributing resources.
 */
function vacate(cgroup: string, leaf: string, wanted: readonly string[]): void {
  cgfs.moveProcess(process.pid, leaf)
  for (let attempt = 0; ; attempt++) {
    try {
      enableControllers(cgroup, wanted)
      return
    } catch (error) {
      if (!(error instanceof cgfs.CgroupFsError) || error.code !== 'EBUSY' || attempt >= 5) throw error
    }
    const left = cgfs.listPids(cgroup)
    const ancestors = ancestorsOf(process.pid)
    const strangers = left.filter((pid) => !ancestors.has(pid) && !isDescendant(pid, process.pid))
    if (strangers.length > 0) {
      const named = strangers.slice(0, 5).map((pid) => `${pid} ${cgfs.readText(`/proc/${pid}/comm`)?.trim() ?? '?'}`)
      throw new Unavailable(
        `our cgroup ${cgroup} also holds processes that are not part of this Vitest command (pid ${named.join(', ')}${strangers.length > 5 ? ', …' : ''}), ` +
          'and a cgroup with processes cannot give memory and pids limits to child cgroups',
        2,
      )
    }
    for (const pid of left) {
      try {
        cgfs.moveProcess(pid, leaf)
      } catch {
        // exited meanwhile
      }
    }
  }
}

function parentOf(pid: number): number {
  const text = cgfs.readText(`/proc/${pid}/stat`)
  return (text && parseProcStat(text)?.ppid) || 0
}

function ancestorsOf(pid: number): Set<number> {
  const result = new Set<number>()
  for (let p = parentOf(pid), depth = 0; p > 0 && depth < 256; p = parentOf(p), depth++) result.add(p)
  return result
}

function isDescendant(pid: number, of: number): boolean {
  for (let p = parentOf(pid), depth = 0; p > 0 && depth < 256; p = parentOf(p), depth++) if (p === of) return true
  return false
}

// ---------------------------------------------------------------------------------------------
// The run and its workers
// ---------------------------------------------------------------------------------------------

class Run implements CgroupRun {
  readonly version: 1 | 2
  readonly controllers: readonly Controller[]
  readonly cpuMissing: string | null
  readonly dirs: readonly string[]
  private readonly workers = new Set<Worker>()
  private next = 0
  private closed = false

  constructor(
    private readonly setup: Setup,
    private readonly warn: (message: string) => void,
  ) {
    this.version = setup.version
    this.controllers = CONTROLLERS.filter((c) => setup.hierarchies.some((h) => h.controllers.includes(c)))
    this.dirs = setup.hierarchies.map((h) => h.runDir)
    this.cpuMissing = setup.cpuMissing
  }

  async createWorker(limits: Limits): Promise<WorkerCgroup> {
    if (this.closed) throw new Error('vitest-pool-nsjail: createWorker() after the cgroup run was closed')
    if (limits.cpu !== null && this.setup.cpuMissing) {
      warnOnce(this.warn, `vitest-pool-nsjail: \`limits.cpu\` is not enforced: ${this.setup.cpuMissing}. To enforce it, ${cpuFix(this.version).join('; ')}.`)
    }
    const needed = controllersFor(limits)
    const name = `w-${++this.next}`
    const writes = limitWrites(this.version, limits)
    const dirs: string[] = []
    try {
      for (const h of this.setup.hierarchies) {
        if (!h.controllers.some((c) => needed.includes(c))) continue
        const dir = join(h.runDir, name)
        cgfs.makeDir(dir)
        dirs.push(dir)
        for (const write of writes) {
          if (!h.controllers.includes(write.controller)) continue
          const file = join(dir, write.file)
          if (write.optional && !cgfs.exists(file)) continue
          cgfs.writeText(file, write.value)
        }
      }
    } catch (error) {
      for (const dir of dirs) cgfs.destroySync(dir)
      throw new Error(`vitest-pool-nsjail: cannot set up a cgroup for a worker: ${(error as Error).message}`)
    }
    const worker = new Worker(this, dirs, limits, this.version)
    this.workers.add(worker)
    return worker
  }

  forget(worker: Worker): void {
    this.workers.delete(worker)
  }

  async close(): Promise<void> {
    if (this.closed) return
    await Promise.all([...this.workers].map((w) => w.remove()))
    this.closeSync()
  }

  closeSync(): void {
    if (this.closed && !openRuns.has(this)) return
    this.closed = true
    for (const worker of this.workers) worker.removeSync()
    this.workers.clear()
    this.setup.teardown()
    openRuns.delete(this)
  }
}

class Worker implements WorkerCgroup {
  readonly path: string
  readonly joinFiles: readonly string[]

  constructor(
    private readonly run: Run,
    readonly dirs: readonly string[],
    readonly limits: Limits,
    private readonly version: 1 | 2,
  ) {
    this.path = dirs[0]
    // v1's `tasks` moves the writing thread alone, without the lock a process move takes (enter.ts).
    this.joinFiles = dirs.map((dir) => join(dir, version === 1 ? 'tasks' : 'cgroup.procs'))
  }

  private dirWith(file: string): string | undefined {
    return this.dirs.find((dir) => cgfs.exists(join(dir, file)))
  }

  async killReason(): Promise<string | null> {
    const read = (file: string): string | undefined => {
      const dir = this.dirWith(file)
      return dir === undefined ? undefined : cgfs.readText(join(dir, file))
    }
    const counters: CgroupCounters =
      this.version === 2
        ? { memoryEvents: read('memory.events'), pidsEvents: read('pids.events') }
        : { oomControl: read('memory.oom_control'), memoryFailcnt: read('memory.failcnt'), pidsEvents: read('pids.events') }
    return describeKill(this.limits, counters)
  }

  async killAll(): Promise<void> {
    await Promise.all(this.dirs.map((dir) => cgfs.killAll(dir)))
  }

  async remove(): Promise<void> {
    const results = await Promise.all(this.dirs.map((dir) => cgfs.destroy(dir)))
    if (results.every(Boolean)) this.run.forget(this)
  }

  removeSync(): void {
    for (const dir of this.dirs) cgfs.destroySync(dir)
  }
}
