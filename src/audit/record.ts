/**
 * The audit's record mode, one sandbox at a time. Still in its namespaces, the sandbox gets its fences
 * opened just far enough for the test to go on, and everything beyond its default policy is
 * recorded:
 *  - files: the host's top-level folders are mounted read-only too (not /proc, /sys, /dev, /tmp,
 *    /etc: the sandbox keeps its own), and strace, the worker's parent inside the sandbox, records
 *    every path system call; writes stay refused (EROFS), and are recorded;
 *  - network: the host's (as `network: 'host'`): connect() destinations are recorded, its own
 *    servers' ports told apart by their bind(); names and ports a client asked for come from the
 *    in-sandbox hints;
 *  - seccomp: the same filter logging instead of refusing (src/seccomp), the refused calls traced
 *    with their raw arguments and judged against the default filter's own rules;
 *  - the channel: a firewall on the default view judges each call too, and what it would refuse
 *    is recorded (and let through: the record view reads more);
 *  - env: not opened (values stay outside); the names read and missing come from the hints.
 */
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { createFirewall, type Firewall } from '../channel/firewall/index.js'
import { under } from '../channel/firewall/paths.js'
import { hostFs } from '../hostfs/beneath.js'
import { runDir, type SandboxDir } from '../hostfs/run-dir.js'
import type { Identity } from '../isolate/etc.js'
import type { LaunchPlan } from '../isolate/plan.js'
import type { Policy } from '../policy/types.js'
import { seccompPlan } from '../seccomp/index.js'
import { filterAnswers, type FilterAnswers } from './filter-answer.js'
import { findings } from './findings.js'
import { parseTrace } from './trace.js'
import type { AuditRecorder } from './recorder.js'

export const STRACE = '/usr/bin/strace'
/** Where the trace is written inside the sandbox: a private folder on the sandbox's own /tmp. */
const TRACE_DIR = '/tmp/.vitest-pool-nsjail-audit'
/** The largest trace read back (a whole Vitest worker's path calls are a few MiB). */
const MAX_TRACE = 512 * 2 ** 20

/** Never mounted from the host in record mode: the sandbox has its own, or they are system folders already. */
const KEEP_OWN = new Set(['proc', 'sys', 'dev', 'etc', 'usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'boot', 'lost+found'])

/**
 * The host's top-level folders to show read-only. /tmp and the folder holding the sandbox's home are
 * the sandbox's own tmpfs (or hold it): their host entries are shown one by one on top of it.
 */
export function hostFolders(home: string, list = (dir: string) => readdirSync(dir), isDir = (p: string) => statSync(p).isDirectory()): string[] {
  const out: string[] = []
  const homeParent = `/${home.split('/')[1]}`
  for (const name of list('/')) {
    const top = `/${name}`
    if (KEEP_OWN.has(name)) continue
    if (top === '/tmp' || top === homeParent) {
      const own = top === homeParent ? home.split('/')[2] : undefined
      // Entries that exist when followed (bwrap binds a symlink's target; a dangling one would fail it).
      for (const entry of safe(() => list(top)) ?? []) if (entry !== own && safe(() => isDir(path.join(top, entry))) !== undefined) out.push(path.join(top, entry))
    } else if (safe(() => isDir(top))) {
      out.push(top)
    }
  }
  return out
}

/**
 * A root with strace in it: a minimal root gets it as one more tool; an image root (which may lack it)
 * is recorded on the host's, so its own system folders are not findings either way.
 */
function withStrace(rootfs: Policy['rootfs']): Policy['rootfs'] {
  if (rootfs.base === 'minimal') return { base: 'minimal', tools: [...new Set([...rootfs.tools, 'strace'])] }
  return rootfs.base === 'dir' ? { base: 'host' } : rootfs
}

function safe<T>(run: () => T): T | undefined {
  try {
    return run()
  } catch {
    return undefined
  }
}

/** strace around the worker's command: every path call, sockets, and the calls the filter may refuse. */
export function straceCommand(answers: FilterAnswers | null, strict: boolean, traceFile: string, command: string[]): string[] {
  const traced = strict ? 'all' : ['%file', 'socket', 'connect', 'bind', 'getsockname', 'getsockopt', ...(answers?.refused ?? [])].join(',')
  return [
    STRACE, '-f', '-qq', '--seccomp-bpf', '-e', `trace=${traced}`, '-e', 'signal=none', '-s', '4096',
    ...(answers?.conditional.length ? ['-e', `raw=${answers.conditional.join(',')}`] : []),
    '-o', traceFile, '--', ...command,
  ]
}

export interface RecordingInit {
  /** The file's default policy. */
  policy: Policy
  identity: Identity
  root: string
  /** The sandbox's test files, relative to the root. */
  files: string[]
  project: string
  /** The default plan, for the view and environment the findings are judged against. */
  plan: (policy: Policy) => LaunchPlan
}

export class Recording {
  /** The policy the sandbox is launched with. */
  readonly policy: Policy
  private readonly dir: SandboxDir
  private readonly answers: FilterAnswers | null
  private readonly baseline: LaunchPlan
  private readonly firewall: Firewall
  private readonly channelReads = new Set<string>()
  /** The host folders shown read-only besides the policy's view (mounted if still there when bwrap runs). */
  readonly shown: string[]
  /** Host entries of /tmp shown in record mode: the rest of /tmp is the sandbox's own. */
  private readonly hostTmp: string[]

  constructor(private readonly recorder: AuditRecorder, private readonly init: RecordingInit) {
    this.baseline = init.plan(init.policy)
    this.shown = hostFolders(init.identity.home)
    this.hostTmp = this.shown.filter((p) => p.startsWith('/tmp/'))
    this.policy = { ...init.policy, network: 'host', rootfs: withStrace(init.policy.rootfs) }
    this.answers = init.policy.seccomp ? filterAnswers(seccompPlan(init.policy.seccomp)) : null
    this.dir = runDir().sandboxDir(init.identity.setuid ? { uid: init.identity.uid, gid: init.identity.gid } : undefined)
    this.firewall = createFirewall({ root: init.root, ...this.baseline.access }, { files: init.files })
  }

  /** The plan in the default view, for what the sandbox report judges. */
  get defaultPlan(): LaunchPlan {
    return this.baseline
  }

  mounts(): Array<{ src: string; dest: string }> {
    return [{ src: this.dir.path, dest: TRACE_DIR }]
  }

  command(command: string[]): string[] {
    const { seccomp } = this.init.policy
    return straceCommand(this.answers, seccomp !== false && seccomp.base === 'strict', `${TRACE_DIR}/trace`, command)
  }

  /** A message from the worker, judged on the default view: what it would refuse is recorded. */
  inspect(message: unknown): void {
    const verdict = this.firewall.inspect(message)
    if (!verdict.pass && verdict.readable !== undefined) this.channelReads.add(verdict.readable)
  }

  inspectReply(message: unknown): void {
    const verdict = this.firewall.inspectReply(message)
    if (!verdict.pass && verdict.readable !== undefined) this.channelReads.add(verdict.readable)
  }

  /** The sandbox has ended: its trace and hints become the files' findings. */
  finish(hints: { env: string[]; ports: Array<[string, number]> }, hostEnv: Record<string, string | undefined>): void {
    // Read beneath the folder's fd, a regular file only, never through a link the sandbox put there
    // (the folder is the sandbox user's). No trace when the worker never started.
    const text = safe(() => hostFs().read(this.dir.dir, 'trace', MAX_TRACE).toString('utf8')) ?? ''
    this.dir.remove()
    const { access, ops } = this.baseline
    const mountParents = new Set(access.readable.concat(access.writable).flatMap((p) => ancestors(p)))
    // What the default sandbox makes itself: its /etc files, links and folders (exactly), its tmpfs and /proc, /dev (all inside).
    const made = new Set(ops.flatMap((op) => (op.op === 'file' || op.op === 'symlink' || op.op === 'dir' || op.op === 'ro-bind-data' ? [op.dest] : [])))
    const within = ops.flatMap((op) => (op.op === 'tmpfs' || op.op === 'proc' || op.op === 'dev' ? [op.dest] : [])).filter((p) => p !== '/tmp')
    const found = findings(parseTrace(text), {
      root: this.init.root,
      own: (p) => made.has(p) || under(p, within) || (under(p, ['/tmp']) && !under(p, this.hostTmp)),
      visible: (p) => this.firewall.canRead(p) || mountParents.has(p),
      answer: (name, args) => this.answers?.answer(name, args) ?? null,
    })
    const env = hints.env.filter((name) => hostEnv[name] !== undefined && this.baseline.env[name] === undefined)
    for (const file of this.init.files) {
      this.recorder.add({ project: this.init.project, root: this.init.root, file, policy: this.init.policy }, { ...found, reads: [...found.reads, ...this.channelReads], env, names: hints.ports })
    }
  }

  /** The sandbox never started: nothing to read. */
  discard(): void {
    this.dir.remove()
  }
}

function ancestors(p: string): string[] {
  const out: string[] = []
  for (let dir = path.dirname(p); dir !== path.dirname(dir); dir = path.dirname(dir)) out.push(dir)
  return out
}
