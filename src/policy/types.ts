/**
 * The user-facing options and the resolved, per-file policy. Options are what people write;
 * a Policy is what one sandbox gets after defaults, validation and `rules` are applied.
 */
import type { RootfsOption, RootfsPolicy } from '../rootfs/types.js'
import type { SeccompOption, SeccompPolicy } from '../seccomp/types.js'
import type { LimitsOption, Limits } from '../cgroup/types.js'
import type { Budgets } from '../channel/budgets.js'

/** The host's budgets for one sandbox, as users write them in `limits`. */
export interface BudgetsOption {
  /** Bytes the pool writes for the sandbox (snapshots, benchmark results, attachment copies), e.g. '256M'. */
  hostWrites?: string
  /** Bytes of coverage the sandbox hands the host, e.g. '1G'. */
  coverage?: string
  /** Bytes of console output Vitest keeps for the sandbox's tests, e.g. '64M'. */
  output?: string
  /** Messages per second the sandbox may send (averaged over 5 s). */
  messages?: number
  /** The largest single message, e.g. '256M'. */
  messageSize?: string
}
import type { Forward, ForwardOption } from '../relay/entries.js'

/** Options that may differ per test file (allowed at the top level and inside `rules`). */
export interface SandboxOptions {
  /**
   * `'loopback'` (default): a private network namespace with only `lo`. `'host'`: share the host network.
   * `{ forward }`: the private namespace, where exactly the listed host services are reachable (src/relay).
   */
  network?: 'loopback' | 'host' | { forward: ForwardOption[] }
  fs?: {
    /** Extra host paths to mount read-only at the same place. */
    readonly?: string[]
    /** Extra host paths to mount read-write at the same place. */
    writable?: string[]
    /** Size of the sandbox's private `/tmp` and `$HOME` tmpfs, e.g. `'256M'`. */
    tmpSize?: string
    /**
     * Paths to hide on top of the credential files hidden by default (src/isolate/conceal.ts): globs
     * matched in the project (relative to its root), or paths (relative ones against the root).
     */
    hide?: string[]
  }
  env?: {
    /** Glob patterns of host environment variable names that may pass into the sandbox. */
    allow?: string[]
    /** Variables to set inside the sandbox. */
    set?: Record<string, string>
  }
  /** Hostname inside the sandbox (default `nsjail`). */
  hostname?: string
  /** What the root filesystem is built from (see src/rootfs): `'host'` (default), `'minimal'`, `{ base: 'minimal', tools }`, `{ dir }`. */
  rootfs?: RootfsOption
  /** System call filter (see src/seccomp). */
  seccomp?: SeccompOption
  /** Resource limits applied through a cgroup (see src/cgroup), and budgets on the host's work for the sandbox (src/channel/budgets.ts). */
  limits?: LimitsOption & BudgetsOption
}

export interface Rule extends SandboxOptions {
  /** picomatch glob(s), relative to the project root. */
  files: string | string[]
}

export interface NsjailOptions extends SandboxOptions {
  /** Path of the bubblewrap binary (default: `bwrap` on PATH). */
  bwrap?: string
  /** `'auto'` (default): use cgroups when one is writable, warn otherwise; `'required'`: fail without; `false`: never. */
  cgroups?: 'auto' | 'required' | false
  /**
   * On a machine that cannot sandbox at all (not Linux, no bubblewrap, user namespaces refused):
   * `'error'` (default) fails the run; `'warn'` runs it in Vitest's forks pool, unsandboxed, with one
   * loud warning saying why and how to fix it.
   */
  onUnsupported?: 'error' | 'warn'
  /**
   * Spare sandboxes kept launched ahead of need (Node booted, Vitest's worker loaded), per project and
   * per policy the run's files use: a new worker whose files have that policy starts in one. `false`
   * or 0: every worker launches its sandbox when Vitest asks for it. Default: DEFAULT_PREWARM.
   */
  prewarm?: number | false
  /** Later rules override earlier ones for the files they match. */
  rules?: Rule[]
  /**
   * Who the worker is when Vitest runs as root (rootless it is always your own user): `'owner'`
   * (default) the project root's owner, or nobody when root owns it; `'nobody'`; or an explicit
   * `{ uid, gid }`. Never 0.
   */
  user?: UserOption
  /**
   * Where to write, at the end of each run, the JSON account of the fences test files hit and the
   * rules that would let them through (relative to the run's root), e.g. `'nsjail-report.json'`.
   */
  report?: string
}

export type UserOption = 'owner' | 'nobody' | { uid: number; gid: number }

/** The fully resolved policy for one test file. Plain data: compare with `policyKey`. */
export interface Policy {
  network: 'loopback' | 'host' | { forward: Forward[] }
  /** `hide`: absolute paths, and globs relative to the project root. */
  fs: { readonly: string[]; writable: string[]; tmpSize: number; hide: string[] }
  env: { allow: string[]; set: Record<string, string> }
  hostname: string
  rootfs: RootfsPolicy
  seccomp: SeccompPolicy | false
  limits: Limits
  budgets: Budgets
}
