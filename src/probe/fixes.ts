/**
 * Every fix this package gives for a machine problem, in one place: the pool's errors and warnings,
 * `doctor`'s table and JSON, and the README's CI recipes all say the same. Pure. Given the host's
 * facts, a fix names the command for that machine (its package manager, sudo or not, its CI);
 * without them (an error thrown far from any probe), every common variant.
 */
import type { HostFacts } from './types.js'

/** The host facts a fix depends on; null when unknown (every variant is given). */
export type FixHost = Pick<HostFacts, 'distro' | 'ci' | 'uid' | 'container'> | null
type Host = FixHost

type Package = 'bubblewrap' | 'libseccomp' | 'setpriv'

/** Package names per package manager. */
const PACKAGES: Record<Package, Record<'apt' | 'dnf' | 'pacman' | 'apk' | 'zypper', string>> = {
  bubblewrap: { apt: 'bubblewrap', dnf: 'bubblewrap', pacman: 'bubblewrap', apk: 'bubblewrap', zypper: 'bubblewrap' },
  libseccomp: { apt: 'libseccomp2', dnf: 'libseccomp', pacman: 'libseccomp', apk: 'libseccomp', zypper: 'libseccomp2' },
  setpriv: { apt: 'util-linux', dnf: 'util-linux-core', pacman: 'util-linux', apk: 'setpriv', zypper: 'util-linux' },
}

const INSTALL = { apt: 'apt-get install -y', dnf: 'dnf install -y', pacman: 'pacman -S --noconfirm', apk: 'apk add', zypper: 'zypper install -y' }
const EXAMPLES = { apt: 'Debian/Ubuntu', dnf: 'Fedora/RHEL', pacman: 'Arch', apk: 'Alpine', zypper: 'openSUSE' }

function packageManager(distro: HostFacts['distro']): keyof typeof INSTALL | null {
  if (!distro) return null
  const ids = [distro.id, ...distro.like]
  if (ids.some((id) => ['debian', 'ubuntu'].includes(id))) return 'apt'
  if (ids.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'dnf'
  if (ids.includes('arch')) return 'pacman'
  if (ids.includes('alpine')) return 'apk'
  if (ids.some((id) => id.startsWith('opensuse') || id === 'suse' || id === 'sles')) return 'zypper'
  return null
}

const sudo = (host: Host) => (host?.uid === 0 ? '' : 'sudo ')

/** `sudo apt-get install -y bubblewrap`, or every variant when the distribution is not known. */
export function installCommand(what: Package, host: Host): string {
  const manager = packageManager(host?.distro ?? null)
  if (manager) {
    const update = manager === 'apt' ? `${sudo(host)}apt-get update && ` : ''
    return `${update}${sudo(host)}${INSTALL[manager]} ${PACKAGES[what][manager]}`
  }
  return (Object.keys(INSTALL) as Array<keyof typeof INSTALL>).map((m) => `${EXAMPLES[m]}: ${INSTALL[m]} ${PACKAGES[what][m]}`).join('; ')
}

/** A GitHub Actions step, as a YAML flow mapping that fits on one line. */
const ghStep = (run: string) => `GitHub Actions: add a step before the tests: - run: ${run}`

function install(what: Package, host: Host): string[] {
  const command = installCommand(what, host)
  if (host?.ci === 'github-actions') return [ghStep(command)]
  if (host?.container) return [`in the image: RUN ${command.replace(/\bsudo /g, '')}`, `or now: ${command}`]
  return [command]
}

export function bwrapMissingFix(option: boolean, host: Host): string[] {
  return [...install('bubblewrap', host), ...(option ? ['or point the `bwrap` option at the bubblewrap binary'] : [])]
}

/** bubblewrap older than 0.6 lacks flags the sandbox relies on; 0.6/0.7 lack two refinements. */
export const MIN_BWRAP = '0.6'

export function bwrapUpgradeFix(): string[] {
  return ['upgrade bubblewrap to 0.8 or newer (Debian 12, Ubuntu 24.04 and Fedora ship it; Ubuntu 22.04 has 0.6: install a newer one from source, https://github.com/containers/bubblewrap)']
}

export function setprivFix(host: Host): string[] {
  return install('setpriv', host)
}

export function libseccompFix(host: Host): string[] {
  return [...install('libseccomp', host), 'or turn the filter off with `seccomp: false`']
}

/** Why bubblewrap could not create the sandbox's namespaces, as far as the machine tells. */
export type NamespaceCause = 'apparmor' | 'userns-clone' | 'userns-max' | 'nested' | 'container' | 'setpriv' | 'wsl1' | 'unknown'

export const CAUSES: Record<NamespaceCause, string> = {
  apparmor: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, as on Ubuntu 23.10+/24.04 and GitHub Actions ubuntu-24.04)',
  'userns-clone': 'unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0)',
  'userns-max': 'user namespaces are switched off (user.max_user_namespaces = 0)',
  nested: 'this process runs inside a sandbox or container that forbids creating more namespaces (bwrap reports ENOSPC: a nesting limit or max_*_namespaces reached)',
  container: 'this process runs in a container whose seccomp profile or missing capabilities refuse new namespaces (Docker\'s default profile does)',
  setpriv: 'setpriv (util-linux) is missing: as root the sandbox needs it to drop to an unprivileged user',
  wsl1: 'WSL 1 has no Linux namespaces',
  unknown: 'the kernel refused to create the namespaces',
}

const APPARMOR_PROFILE = (bwrap: string) =>
  `printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile bwrap ${bwrap} flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/bwrap && sudo apparmor_parser -r /etc/apparmor.d/bwrap`

const DOCKER_FLAGS = '--cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined'

/** The tests in a throw-away container (the README's Docker recipe is this line). */
export const DOCKER_RUN = `docker run --rm ${DOCKER_FLAGS} -v "$PWD":/w -w /w node:22 sh -c 'apt-get update -qq && apt-get install -y -qq bubblewrap && npx vitest run'`

/** The fixes for a namespace cause; `bwrap` is the binary's path (an AppArmor profile names it). */
export function namespaceFix(cause: NamespaceCause, host: Host, bwrap = '/usr/bin/bwrap'): string[] {
  switch (cause) {
    case 'apparmor':
      return [
        host?.ci === 'github-actions'
          ? ghStep('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0')
          : 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (to keep it: echo kernel.apparmor_restrict_unprivileged_userns=0 | sudo tee /etc/sysctl.d/60-userns.conf)',
        `or allow user namespaces for bwrap alone with an AppArmor profile: ${APPARMOR_PROFILE(bwrap)}`,
      ]
    case 'userns-clone':
      return ['sudo sysctl -w kernel.unprivileged_userns_clone=1']
    case 'userns-max':
      return ['sudo sysctl -w user.max_user_namespaces=15000']
    case 'nested':
      return ['run the tests outside that sandbox, or as root inside it (as root the sandbox needs no user namespace)']
    case 'container':
      return [
        `docker run ${DOCKER_FLAGS} … (or --privileged); podman: --security-opt seccomp=unconfined; Kubernetes: securityContext.privileged: true`,
        ...(host?.ci === 'gitlab-ci' ? ['GitLab CI (docker executor): privileged = true in the runner\'s [runners.docker] section'] : []),
      ]
    case 'setpriv':
      return setprivFix(host)
    case 'wsl1':
      return ['convert the distribution to WSL 2: wsl --set-version <distribution> 2 (in Windows PowerShell)']
    case 'unknown':
      return [
        'Ubuntu 23.10+/24.04 (AppArmor): sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
        `  (or allow user namespaces for bwrap alone with an AppArmor profile: ${APPARMOR_PROFILE(bwrap)})`,
        'kernels with a userns switch: sudo sysctl -w kernel.unprivileged_userns_clone=1 / user.max_user_namespaces=15000',
        `inside Docker: docker run ${DOCKER_FLAGS} … (or --privileged)`,
      ]
  }
}

/** Not Linux at all: where the tests can be sandboxed instead. */
export function notLinuxFix(os: string): string[] {
  return [
    `run the tests on Linux: in CI, in a Linux VM, ${os === 'win32' ? 'in WSL 2, ' : ''}or in a container: ${DOCKER_RUN}`,
    "or set `onUnsupported: 'warn'` to run them here without the sandbox (with a warning)",
  ]
}

/** How to get a writable cgroup for the per-worker limits. */
export function cgroupFix(version: 1 | 2 | null, host: Host): string[] {
  if (host?.container && host.uid === 0) {
    return ['run the container with --privileged (Docker mounts /sys/fs/cgroup read-only otherwise)', 'or set `cgroups: false` to run without limits (and without this warning)']
  }
  if (version === 1) {
    return [
      'run Vitest as root, or inside cgroups created for your user beforehand ' +
        '(e.g. `sudo cgcreate -a $USER -t $USER -g memory,pids,cpu:vitest`, then `cgexec -g memory,pids,cpu:vitest npx vitest`)',
    ]
  }
  const prepared =
    'start it from a shell moved into a cgroup created for your user beforehand ' +
    '(`sudo mkdir /sys/fs/cgroup/vitest && sudo chown $USER /sys/fs/cgroup/vitest{,/cgroup.procs,/cgroup.subtree_control,/cgroup.threads} ' +
    '&& echo $$ | sudo tee /sys/fs/cgroup/vitest/cgroup.procs`)'
  if (host?.ci === 'github-actions') {
    return [
      `GitHub Actions (no delegated cgroup for the runner user): ${prepared}, all in the step that runs the tests`,
      'or run the tests as root: sudo -E env "PATH=$PATH" npx vitest run',
    ]
  }
  return [
    'run Vitest in a cgroup delegated to you: `systemd-run --user --scope -p Delegate=yes npx vitest`',
    'or run it as root',
    `or ${prepared}`,
  ]
}

/** How to get the cpu controller too, when memory and pids are there but cpu is not. */
export function cpuFix(version: 1 | 2): string[] {
  return version === 2
    ? ["systemd delegates only memory and pids to users by default: add cpu with `sudo systemctl edit user@.service` ([Service] Delegate=cpu memory pids), or run as root", 'or drop `limits.cpu`']
    : ['make the cgroup v1 cpu hierarchy writable for your user as for memory and pids (`sudo cgcreate -a $USER -t $USER -g cpu:vitest`), or run as root', 'or drop `limits.cpu`']
}

/** Filters are compiled for x86_64 and aarch64 only. */
export function seccompArchProblem(arch: string): { why: string; fix: string[] } {
  return { why: `seccomp filters are supported on x86_64 and aarch64 only (this is ${arch})`, fix: ['set `seccomp: false`'] }
}
