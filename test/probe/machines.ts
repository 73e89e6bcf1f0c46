/**
 * Probe data of machines this one cannot be (macOS, WSL, Ubuntu 24.04 with AppArmor, a GitHub
 * Actions runner, …), for the pure renderers. Each starts from a healthy rootless Linux machine and
 * changes what the real one would report.
 */
import type { MachineProbe } from '../../src/probe/types.js'

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | null : T[K] }

export function healthy(): MachineProbe {
  return {
    host: {
      os: 'linux',
      arch: 'x64',
      kernel: '6.8.0-45-generic',
      node: 'v22.12.0',
      uid: 1000,
      distro: { id: 'ubuntu', like: ['debian'], version: '24.04' },
      wsl: null,
      container: null,
      ci: null,
      apparmorRestrictUserns: false,
      unprivilegedUsernsClone: null,
      maxUserNamespaces: 63432,
      kernelNamespaces: ['user', 'pid', 'net', 'mount', 'uts', 'ipc', 'cgroup'],
      underSeccompFilter: false,
      seccompActions: ['kill_process', 'kill_thread', 'trap', 'errno', 'user_notif', 'trace', 'log', 'allow'],
      setpriv: true,
    },
    bwrap: { command: 'bwrap', fromOption: false, path: '/usr/bin/bwrap', version: '0.9.0', tmpfsSize: true, disableUserns: true, setuid: false, error: null, abandoned: false },
    namespaces: {
      mode: 'rootless',
      tried: ['bwrap', '--unshare-user', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', '--unshare-net', '--disable-userns'],
      ok: true,
      stderr: '',
      abandoned: false,
      each: { user: 'fresh', pid: 'fresh', net: 'fresh', mount: 'fresh', uts: 'fresh', ipc: 'fresh', cgroup: 'fresh' },
      loopback: true,
      nestedUsernsDisabled: true,
      tmpfsSize: true,
    },
    seccomp: { library: '2.5.5', error: null },
    cgroups: { version: 2, controllers: ['memory', 'pids', 'cpu'], dirs: ['/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope/vitest-pool-nsjail/run-1'], reason: null, machineVersion: 2, cpuMissing: null },
    steps: [],
    ms: 20,
  }
}

/** `healthy()` with `changes` merged in, section by section (a null section replaces it). */
export function machine(changes: DeepPartial<MachineProbe>): MachineProbe {
  const base = healthy() as unknown as Record<string, unknown>
  for (const [key, value] of Object.entries(changes)) {
    base[key] = value === null || typeof value !== 'object' || Array.isArray(value) ? value : { ...(base[key] as object), ...value }
  }
  return base as unknown as MachineProbe
}

/** What bwrap says and does when user namespaces are refused (no namespace gets made). */
export function refused(stderr: string): DeepPartial<MachineProbe> {
  return {
    namespaces: {
      ok: false,
      stderr,
      each: { user: 'refused', pid: 'untested', net: 'untested', mount: 'refused', uts: 'untested', ipc: 'untested', cgroup: 'untested' },
      loopback: false,
      nestedUsernsDisabled: false,
      tmpfsSize: false,
    },
  }
}

export const NO_CGROUP = {
  cgroups: { version: null, controllers: [], dirs: [], reason: 'our cgroup /sys/fs/cgroup/system.slice/runner.service is not writable by uid 1001 (not delegated)', machineVersion: 2, cpuMissing: null },
} as const
