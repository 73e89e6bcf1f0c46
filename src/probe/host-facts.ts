/**
 * Reads what the kernel and the environment say about this machine, without trying anything:
 * sysctls that switch user namespaces off, container and WSL markers, the distribution (for the
 * install command), the CI. Each read is of a small kernel or /etc file; a missing one is null.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { release } from 'node:os'
import { NAMESPACES, type HostFacts, type NamespaceName } from './types.js'
import { SETPRIV } from '../isolate/bwrap.js'

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

function sysctlFlag(file: string): boolean | null {
  const text = read(file)?.trim()
  return text === undefined || text === '' ? null : text !== '0'
}

function sysctlNumber(file: string): number | null {
  const value = Number(read(file)?.trim() ?? NaN)
  return Number.isFinite(value) ? value : null
}

/** `KEY=value` lines of /etc/os-release, values unquoted. Pure. */
export function parseOsRelease(text: string): HostFacts['distro'] {
  const fields = Object.fromEntries(
    text.split('\n').map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim())).filter((m) => m !== null)
      .map((m) => [m[1], m[2].replace(/^["']|["']$/g, '')]),
  )
  if (!fields.ID) return null
  return { id: fields.ID, like: (fields.ID_LIKE ?? '').split(/\s+/).filter(Boolean), version: fields.VERSION_ID ?? null }
}

/** WSL's kernels name themselves: `5.15.…-microsoft-standard-WSL2`, WSL 1's `4.4.0-…-Microsoft`. Pure. */
export function wslVersion(kernel: string | null): 1 | 2 | null {
  if (!kernel || !/microsoft/i.test(kernel)) return null
  return /WSL2|microsoft-standard/i.test(kernel) ? 2 : 1
}

/** Which container runtime, if any, this process runs in. Pure over the texts it is given. */
export function containerOf(markers: { dockerenv: boolean; containerenv: boolean; pid1Cgroup: string | null; env: string | undefined }): HostFacts['container'] {
  if (markers.dockerenv) return 'docker'
  if (markers.containerenv || markers.env === 'podman') return 'podman'
  const cgroup = markers.pid1Cgroup ?? ''
  if (/kubepods/.test(cgroup)) return 'kubernetes'
  if (/docker/.test(cgroup)) return 'docker'
  if (/containerd/.test(cgroup)) return 'containerd'
  if (/\/lxc/.test(cgroup) || markers.env === 'lxc') return 'lxc'
  return markers.env ? 'other' : null
}

function kernelNamespaces(): NamespaceName[] {
  let present: string[]
  try {
    present = readdirSync('/proc/self/ns')
  } catch {
    return []
  }
  const names: Record<NamespaceName, string> = { user: 'user', pid: 'pid', net: 'net', mount: 'mnt', uts: 'uts', ipc: 'ipc', cgroup: 'cgroup' }
  return NAMESPACES.filter((ns) => present.includes(names[ns]))
}

export function readHostFacts(env: NodeJS.ProcessEnv = process.env): HostFacts {
  const kernel = read('/proc/sys/kernel/osrelease')?.trim() ?? (process.platform === 'linux' ? null : release())
  const status = read('/proc/self/status') ?? ''
  const actions = read('/proc/sys/kernel/seccomp/actions_avail')
  const osRelease = read('/etc/os-release')
  return {
    os: process.platform,
    arch: process.arch,
    kernel,
    node: process.version,
    uid: process.getuid?.() ?? null,
    distro: osRelease === null ? null : parseOsRelease(osRelease),
    wsl: wslVersion(kernel),
    container: containerOf({
      dockerenv: existsSync('/.dockerenv'),
      containerenv: existsSync('/run/.containerenv'),
      pid1Cgroup: read('/proc/1/cgroup'),
      env: env.container,
    }),
    ci: env.GITHUB_ACTIONS === 'true' ? 'github-actions' : env.GITLAB_CI === 'true' ? 'gitlab-ci' : null,
    apparmorRestrictUserns: sysctlFlag('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    unprivilegedUsernsClone: sysctlFlag('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: sysctlNumber('/proc/sys/user/max_user_namespaces'),
    kernelNamespaces: kernelNamespaces(),
    underSeccompFilter: /^Seccomp:\s*2$/m.test(status),
    seccompActions: actions === null ? null : actions.trim().split(/\s+/),
    setpriv: existsSync(SETPRIV),
  }
}
