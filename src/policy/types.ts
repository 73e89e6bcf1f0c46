/**
 * The user-facing options and the resolved, per-file policy. Options are what people write;
 * a Policy is what one sandbox gets after defaults, validation and `rules` are applied.
 */
import type { SeccompOption, SeccompPolicy } from '../seccomp/types.js'
import type { LimitsOption, Limits } from '../cgroup/types.js'

/** Options that may differ per test file (allowed at the top level and inside `rules`). */
export interface SandboxOptions {
  /** `'loopback'` (default): a private network namespace with only `lo`. `'host'`: share the host network. */
  network?: 'loopback' | 'host'
  fs?: {
    /** Extra host paths to mount read-only at the same place. */
    readonly?: string[]
    /** Extra host paths to mount read-write at the same place. */
    writable?: string[]
    /** Size of the sandbox's private `/tmp` and `$HOME` tmpfs, e.g. `'256M'`. */
    tmpSize?: string
  }
  env?: {
    /** Glob patterns of host environment variable names that may pass into the sandbox. */
    allow?: string[]
    /** Variables to set inside the sandbox. */
    set?: Record<string, string>
  }
  /** Hostname inside the sandbox (default `nsjail`). */
  hostname?: string
  /** System call filter (see src/seccomp). */
  seccomp?: SeccompOption
  /** Resource limits applied through a cgroup (see src/cgroup). */
  limits?: LimitsOption
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
}

export type UserOption = 'owner' | 'nobody' | { uid: number; gid: number }

/** The fully resolved policy for one test file. Plain data: compare with `policyKey`. */
export interface Policy {
  network: 'loopback' | 'host'
  fs: { readonly: string[]; writable: string[]; tmpSize: number }
  env: { allow: string[]; set: Record<string, string> }
  hostname: string
  seccomp: SeccompPolicy | false
  limits: Limits
}
