/**
 * What one probe of the machine found: plain, serializable data (no functions, no handles), so the
 * pool's preflight, `doctor` (table and JSON), `explain` and the start banner all render the same
 * facts, and tests can inject the facts of machines this one cannot be (macOS, WSL, AppArmor).
 */
import type { Controller } from '../cgroup/detect.js'

export type NamespaceName = 'user' | 'pid' | 'net' | 'mount' | 'uts' | 'ipc' | 'cgroup'
export const NAMESPACES: readonly NamespaceName[] = ['user', 'pid', 'net', 'mount', 'uts', 'ipc', 'cgroup']

/** Facts read from the kernel's own files and the process environment, without trying anything. */
export interface HostFacts {
  /** `process.platform`: only 'linux' can sandbox. */
  os: string
  arch: string
  /** /proc/sys/kernel/osrelease */
  kernel: string | null
  node: string
  uid: number | null
  /** /etc/os-release: ID, ID_LIKE, VERSION_ID. */
  distro: { id: string; like: string[]; version: string | null } | null
  /** From the kernel release (`…-microsoft-standard-WSL2`, `…-Microsoft`). */
  wsl: 1 | 2 | null
  /** Container markers: /.dockerenv, /run/.containerenv, /proc/1/cgroup, $container. */
  container: 'docker' | 'podman' | 'kubernetes' | 'containerd' | 'lxc' | 'other' | null
  /** From the CI's own environment variables. */
  ci: 'github-actions' | 'gitlab-ci' | null
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns (Ubuntu 23.10+); null when absent. */
  apparmorRestrictUserns: boolean | null
  /** /proc/sys/kernel/unprivileged_userns_clone (Debian/Ubuntu kernels with that switch); null when absent. */
  unprivilegedUsernsClone: boolean | null
  /** /proc/sys/user/max_user_namespaces; null when absent. */
  maxUserNamespaces: number | null
  /** Namespace kinds this kernel has (/proc/self/ns/*). */
  kernelNamespaces: NamespaceName[]
  /** /proc/self/status `Seccomp: 2`: this process already runs under a filter (Docker's default profile, …). */
  underSeccompFilter: boolean
  /** /proc/sys/kernel/seccomp/actions_avail; null when the kernel has no seccomp filters. */
  seccompActions: string[] | null
  /** setpriv (util-linux), which the sandbox needs when Vitest runs as root. */
  setpriv: boolean
}

export interface BwrapFacts {
  /** What was asked for: the `bwrap` option, or `bwrap` on PATH. */
  command: string
  fromOption: boolean
  /** Where it was found (absolute), or null when it was not. */
  path: string | null
  /** The version it reported (`0.8.0`), or null. */
  version: string | null
  /** --size for tmpfs (0.7+), --disable-userns (0.8+). */
  tmpfsSize: boolean
  disableUserns: boolean
  /** Installed setuid root (old distributions): namespaces then come from bwrap's own privileges. */
  setuid: boolean
  /** Why it cannot be used (`--version` failed, printed no version, …), or null. */
  error: string | null
  /** `--version` did not answer in time. */
  abandoned: boolean
}

export type NamespaceState = 'fresh' | 'refused' | 'unused' | 'untested'

/** The sandbox's namespaces, tried for real with the identity the workers get. */
export interface NamespaceFacts {
  /** 'root': no user namespace, bwrap privileged, the worker switched to a plain uid with setpriv. */
  mode: 'rootless' | 'root'
  /** The bwrap command tried: the workers' own namespace flags. */
  tried: string[]
  ok: boolean
  /** What bwrap said when it failed (when abandoned: that it did not answer). */
  stderr: string
  /**
   * bwrap did not finish in time: nothing is known to be refused (`ok` is false, `each` untested),
   * and the flags below say what the workers get if it works.
   */
  abandoned: boolean
  /** Each namespace: new inside the sandbox (its inode differs from ours), refused, not used in this mode. */
  each: Record<NamespaceName, NamespaceState>
  /** The loopback interface is up (bwrap fails the whole sandbox when it cannot bring it up). */
  loopback: boolean
  /** Nested user namespaces refused by bwrap (`--disable-userns`, checked with `--assert-userns-disabled`). */
  nestedUsernsDisabled: boolean
  /** A tmpfs with `--size` was mounted. */
  tmpfsSize: boolean
}

export interface SeccompFacts {
  /** libseccomp's version when it loaded, else null and `error` says why. */
  library: string | null
  error: string | null
}

export interface CgroupFacts {
  /** 1 or 2 when a writable place for per-worker cgroups was set up, else null. */
  version: 1 | 2 | null
  /** Controllers that can be enforced there. */
  controllers: Controller[]
  /** Where the run's cgroups go. */
  dirs: string[]
  /** Why none is usable (when version is null), and which version the machine has. */
  reason: string | null
  machineVersion: 1 | 2 | null
  /** Why cpu is not enforced, when it is not. */
  cpuMissing: string | null
}

export interface StepTiming {
  step: string
  ms: number
  /** Took longer than the step timeout: given up and reported as unknown. */
  abandoned: boolean
}

export interface MachineProbe {
  host: HostFacts
  bwrap: BwrapFacts
  /** null when bwrap could not be run. */
  namespaces: NamespaceFacts | null
  /** null when not probed (no policy uses seccomp) or abandoned. */
  seccomp: SeccompFacts | null
  /** null when not probed (`cgroups: false`) or abandoned. */
  cgroups: CgroupFacts | null
  steps: StepTiming[]
  ms: number
}
