/**
 * A policy becomes a launch plan: plain data describing the whole sandbox (setup operations in the
 * order they apply, identity, environment, command, seccomp program). Pure, so every decision about
 * what a test can see is unit-testable; src/isolate/bwrap.ts turns it into argv and launch.ts runs it.
 * The plan also carries `access`, the host paths the sandbox can read and write, and those hidden
 * inside them: the RPC firewall polices the worker's channel with exactly this set, so mounts and
 * firewall never disagree; and `relay`, from which the host side of the sandbox's forwarded services
 * is started (src/relay).
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { etcFiles, type Identity } from './etc.js'
import { sandboxEnv } from './env.js'
import { envFiles } from './preload.js'
import { concealOps, type Concealed } from './conceal.js'
import { planRelay, type RelayPlan } from '../relay/plan.js'
import { RELAY_DIR, type TcpAddress } from '../relay/protocol.js'
import { deferDebuggerWait } from '../relay/inspector.js'
import type { Policy } from '../policy/types.js'
import type { BaseRoot } from '../rootfs/base.js'

/** One step of building the root, in the spirit of bubblewrap's own SetupOp list. */
export type SetupOp =
  /** `optional`: skipped when `src` is gone by the time bwrap runs (the audit's view of a changing host). */
  | { op: 'ro-bind' | 'bind' | 'dev-bind'; src: string; dest: string; optional?: true }
  | { op: 'symlink'; target: string; dest: string }
  | { op: 'file'; dest: string; data: string }
  /** A read-only file with this content mounted over an existing path (a credential's stand-in). */
  | { op: 'ro-bind-data'; dest: string; data: string }
  | { op: 'tmpfs'; dest: string; size: number | null; perms?: string }
  | { op: 'proc'; dest: string }
  | { op: 'dev'; dest: string }
  | { op: 'dir'; dest: string; perms?: string }
  | { op: 'remount-ro'; dest: string }

/** What the host offers, probed once (src/isolate/host.ts). */
export interface HostLayout {
  /** Top-level system entries: /usr is bound, /bin, /lib, … are bound or recreated as symlinks. */
  system: Array<{ path: string; symlink: string | null }>
  /** Shared /etc entries that exist on this host. */
  etc: string[]
  /**
   * The host's resolver configuration (the content of /etc/resolv.conf, which is often a symlink into
   * /run): copied into the sandbox when it shares the host's network, so names resolve there too.
   */
  resolvConf: string
}

export interface PlanInput {
  policy: Policy
  identity: Identity
  host: HostLayout
  /** The system part of the root for `rootfs: 'minimal'` or `{ dir }` (src/rootfs); without it, the host's (`host.system`). */
  base?: BaseRoot
  /** The project root: mounted read-only, and the working directory. */
  root: string
  /** Other host paths the worker needs read-only: node_modules up the tree, Vitest, its temp dir, --require files, the node binary. */
  needs: string[]
  /** `node <execArgv> <vitest worker entry>` */
  command: string[]
  workerEnv: Record<string, string | undefined>
  configEnv: Record<string, string>
  seccomp: Buffer | null
  /** Git repositories of the project, trusted by git inside although another user owns them. */
  gitRepositories?: string[]
  /**
   * Host folders mounted read-write at another place (Vitest 5's coverage files folder: a private one
   * per sandbox at the real one's path). Not in `access`: the host path behind `dest` is not the one the
   * sandbox sees, and the pool reads `src` itself.
   */
  privateMounts?: Array<{ src: string; dest: string }>
  /** Host paths mounted read-only at the same place if they are still there when bwrap runs (the audit's record mode). */
  optionalReadonly?: string[]
  /** Credential files in the mounts and their stand-ins (./find-concealed.ts): covered, and hidden from the firewall. */
  concealed?: Concealed[]
  /**
   * For a sandbox that needs a relay (src/relay/plan.ts needsRelay): its private directory on the host,
   * the module that starts the relay inside, and the debugger to make reachable from the host.
   */
  relay?: { hostDir: string; preload: string; inspector: TcpAddress | null }
  /**
   * Node's compile cache, written by the host alone (src/pool/compile-cache.ts): mounted read-only and
   * named in NODE_COMPILE_CACHE, unless the environment names another.
   */
  compileCache?: string
}

export interface LaunchPlan {
  ops: SetupOp[]
  network: 'loopback' | 'host'
  relay: RelayPlan | null
  hostname: string
  identity: Identity
  cwd: string
  env: Record<string, string>
  command: string[]
  seccomp: Buffer | null
  /** `hidden`: paths inside `readable`/`writable` the sandbox sees only a stand-in for. */
  access: { readable: string[]; writable: string[]; hidden: string[] }
}

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)

/**
 * Keeps the shortest path of each nested family with the same mode, and orders binds parents first,
 * so a writable folder inside the read-only project is mounted on top of it, not under it.
 */
function bindOps(readonly: string[], writable: string[], optional: string[] = []): SetupOp[] {
  const writableSet = [...new Set(writable.map((p) => path.resolve(p)))]
  const readonlySet = [...new Set(readonly.map((p) => path.resolve(p)))].filter((p) => !writableSet.includes(p))
  const optionalSet = [...new Set(optional.map((p) => path.resolve(p)))].filter((p) => !writableSet.includes(p) && !readonlySet.includes(p))
  const entries = [
    ...readonlySet.map((p) => ({ p, rw: false, optional: false })),
    ...optionalSet.map((p) => ({ p, rw: false, optional: true })),
    ...writableSet.map((p) => ({ p, rw: true, optional: false })),
  ]
  const kept = entries.filter((e) => {
    // A path under another of the same mode adds nothing, unless a mount of the other mode lies between
    // them, or the other may be skipped.
    return !entries.some((o) => o !== e && o.rw === e.rw && o.p !== e.p && isInside(e.p, o.p) && (!o.optional || e.optional) &&
      !entries.some((m) => m.rw !== e.rw && isInside(e.p, m.p) && isInside(m.p, o.p) && m.p !== o.p))
  })
  // Code-point order among equals: the same in every locale, and localeCompare's first call loads ICU's
  // collator (~8 ms, on the path to the run's first sandbox).
  kept.sort((a, b) => a.p.split('/').length - b.p.split('/').length || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))
  return kept.map((e): SetupOp => ({ op: e.rw ? 'bind' : 'ro-bind', src: e.p, dest: e.p, ...(e.optional ? { optional: true as const } : {}) }))
}

/**
 * bwrap creates missing parents of a mount point as 0700 when it runs as root, which would lock the
 * unprivileged worker out of its own project: create them first, traversable.
 */
function withParents(ops: SetupOp[], present: string[]): SetupOp[] {
  const made = new Set(present)
  const mounted = new Set<string>()
  const covered = (p: string) => made.has(p) || [...mounted].some((m) => isInside(p, m))
  const out: SetupOp[] = []
  for (const op of ops) {
    if (op.op === 'bind' || op.op === 'ro-bind' || op.op === 'tmpfs') {
      const parents: string[] = []
      for (let p = path.dirname(op.dest); p !== '/' && !covered(p); p = path.dirname(p)) parents.unshift(p)
      for (const p of parents) {
        out.push({ op: 'dir', dest: p, perms: '0755' })
        made.add(p)
      }
      made.add(op.dest)
      // A bound host directory brings its subdirectories along; a fresh tmpfs is empty.
      if (op.op !== 'tmpfs') mounted.add(op.dest)
    }
    out.push(op)
  }
  return out
}

/** What bwrap's --dev makes, but devpts: see devOps. */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty']
const DEV_LINKS = [['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'], ['/proc/self/fd/2', 'stderr'], ['/proc/kcore', 'core']]

/**
 * /dev. bwrap's --dev mounts a devpts, which makes it map uid 0 in the user namespace it creates
 * first and run the sandbox in a second one nested in it — where no capability reaches the network
 * namespace, owned by the first. A rootless sandbox that must bind ports below 1024 (CAP_NET_BIND_SERVICE
 * in its own user namespace) therefore gets the same /dev without devpts (no pseudo-terminals).
 */
function devOps(devpts: boolean): SetupOp[] {
  if (devpts) return [{ op: 'dev', dest: '/dev' }]
  return [
    { op: 'tmpfs', dest: '/dev', size: null, perms: '0755' },
    ...DEVICES.map((name): SetupOp => ({ op: 'dev-bind', src: `/dev/${name}`, dest: `/dev/${name}` })),
    ...DEV_LINKS.map(([target, name]): SetupOp => ({ op: 'symlink', target, dest: `/dev/${name}` })),
    { op: 'dir', dest: '/dev/shm' },
    { op: 'dir', dest: '/dev/pts' },
  ]
}

/** `node --import=<relay preload> …`: the relay is up before the worker's entry runs any test code. */
function withPreload(command: string[], preload: string): string[] {
  return [command[0], `--import=${pathToFileURL(preload).href}`, ...command.slice(1)]
}

export function planLaunch(input: PlanInput): LaunchPlan {
  const { policy, identity, host, root } = input
  const network = policy.network === 'host' ? 'host' : 'loopback'
  // Inspector flags that would hold Node before the relay's preload are left to the relay.
  const deferred = input.relay && policy.network !== 'host' ? deferDebuggerWait(input.command) : { command: input.command, wait: null }
  const relay = input.relay && policy.network !== 'host'
    ? planRelay(typeof policy.network === 'object' ? policy.network.forward : [], input.relay.inspector, input.relay.hostDir, deferred.wait)
    : null
  const system: SetupOp[] = host.system.map((entry) =>
    entry.symlink !== null
      ? { op: 'symlink', target: entry.symlink, dest: entry.path }
      : { op: 'ro-bind', src: entry.path, dest: entry.path },
  )
  const etc: SetupOp[] = Object.entries(etcFiles(identity, policy.hostname, policy.network === 'host' ? host.resolvConf : '', relay?.hosts ?? [])).map(([dest, data]) => ({ op: 'file', dest, data }))
  const env = sandboxEnv({
    workerEnv: input.workerEnv,
    configEnv: input.configEnv,
    allow: policy.env.allow,
    set: policy.env.set,
    home: identity.home,
    user: identity.user,
    safeDirectories: input.gitRepositories,
  })
  if (input.compileCache && env.NODE_COMPILE_CACHE === undefined) env.NODE_COMPILE_CACHE = input.compileCache
  // What the environment makes Node load at start (NODE_OPTIONS preloads, the extra CA file) must be
  // there: the preflight checked these exist (src/pool/env-files.ts).
  const loaded = envFiles(env, root).map((f) => f.file)
  const cache = input.compileCache && env.NODE_COMPILE_CACHE === input.compileCache ? [input.compileCache] : []
  const binds = bindOps([root, ...input.needs, ...(input.base?.etc ?? host.etc), ...policy.fs.readonly, ...loaded, ...cache], policy.fs.writable, input.optionalReadonly)
  // After every other bind, so they cover what the project (or a writable folder) has at `dest`.
  const privateBinds: SetupOp[] = (input.privateMounts ?? []).map(({ src, dest }) => ({ op: 'bind', src, dest }))
  const concealment = concealOps(input.concealed ?? [])
  // Read-only, so that the sandbox cannot plant anything where the host side of its relay looks.
  const relayBinds: SetupOp[] = relay
    ? [{ op: 'ro-bind', src: relay.hostDir, dest: RELAY_DIR }, ...relay.binds.map(({ src, dest }): SetupOp => ({ op: 'ro-bind', src, dest }))]
    : []
  const ops: SetupOp[] = [
    ...system,
    { op: 'dir', dest: '/etc', perms: '0755' },
    ...etc,
    { op: 'proc', dest: '/proc' },
    ...devOps(!(relay?.lowPorts && !identity.setuid)),
    // Private scratch space first, so a project or Vitest temp dir under /tmp is bound on top of it.
    ...withParents([
      { op: 'tmpfs', dest: '/tmp', size: policy.fs.tmpSize, perms: '1777' },
      { op: 'tmpfs', dest: identity.home, size: policy.fs.tmpSize, perms: '1777' },
      ...binds,
      ...privateBinds,
      ...relayBinds,
    ], ['/', '/etc', '/proc', '/dev', ...host.system.map((e) => e.path)]),
    // On top of the binds that bring the credential files in.
    ...concealment.ops,
    // Everything else of the root (the tmpfs bwrap builds it on) becomes read-only last.
    { op: 'remount-ro', dest: '/' },
  ]
  // A built base (rootfs 'minimal' or { dir }) takes the place of the host's system part, making room
  // for what every later op puts in place: an image's own /etc/passwd goes, /usr/bin/node can be bound.
  const built = input.base?.build(ops.slice(system.length))
  if (built) ops.splice(0, system.length, ...built.ops)
  const readable = [
    ...(built ? built.readable : host.system.filter((e) => e.symlink === null).map((e) => e.path)),
    ...binds.map((op) => (op as { dest: string }).dest),
  ]
  return {
    ops,
    network,
    relay,
    hostname: policy.hostname,
    identity,
    cwd: root,
    env,
    command: relay?.inside && input.relay ? withPreload(deferred.command, input.relay.preload) : input.command,
    seccomp: input.seccomp,
    access: { readable, writable: binds.filter((op) => op.op === 'bind').map((op) => (op as { dest: string }).dest), hidden: concealment.hidden },
  }
}
