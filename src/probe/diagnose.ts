/**
 * Probe facts → what this machine can do, capability by capability, with the likely cause and the
 * fix for each missing one. Pure: the table, the JSON, the banner and the pool's errors all read it.
 */
import path from 'node:path'
import { bwrapMissingFix, bwrapUpgradeFix, CAUSES, cgroupFix, cpuFix, libseccompFix, MIN_BWRAP, namespaceFix, notLinuxFix, seccompArchProblem, setprivFix, type NamespaceCause } from './fixes.js'
import { NAMESPACES, type BwrapFacts, type MachineProbe, type NamespaceFacts, type NamespaceName } from './types.js'
import { compareVersions } from '../seccomp/libseccomp.js'

/**
 * ok: works. limited: works, with a weaker mechanism (said in `detail`). missing: not available here.
 * unused: not needed in this mode or config. unknown: not tried (a prerequisite is missing) or abandoned.
 */
export type Status = 'ok' | 'limited' | 'missing' | 'unused' | 'unknown'

export interface Capability {
  id: string
  label: string
  status: Status
  detail: string
  /** The likely cause when missing or limited, else null. */
  cause: string | null
  /** What to do about it, for this machine. */
  fix: string[]
}

const SECCOMP_ARCHES = ['x64', 'arm64']

/** Why no sandbox at all can be built here (null when one can): the pool's fatal error. */
export interface Unsupported {
  what: string
  /** The likely cause, when `what` does not say it all. */
  cause: string | null
  fix: string[]
}

/** The namespace attempt took too long: said in doctor's rows, the pool's warning and the banner. */
export function unverifiedText(namespaces: NamespaceFacts): string {
  return `not verified: bwrap ${namespaces.stderr}`
}

export function bwrapTooOld(bwrap: BwrapFacts): boolean {
  return bwrap.version !== null && compareVersions(bwrap.version.split('.').map(Number), MIN_BWRAP.split('.').map(Number)) < 0
}

export function namespaceCause(probe: MachineProbe): NamespaceCause {
  const { host, namespaces } = probe
  const said = namespaces?.stderr ?? ''
  if (host.wsl === 1) return 'wsl1'
  if (namespaces?.mode === 'root') return /setpriv/.test(said) || !host.setpriv ? 'setpriv' : host.container || host.underSeccompFilter ? 'container' : 'unknown'
  if (host.apparmorRestrictUserns) return 'apparmor'
  if (host.unprivilegedUsernsClone === false) return 'userns-clone'
  if (host.maxUserNamespaces === 0) return 'userns-max'
  if (/ENOSPC|max_\*_namespaces|No space left/.test(said)) return 'nested'
  if (host.container || host.underSeccompFilter) return 'container'
  return 'unknown'
}

const bwrapName = (probe: MachineProbe) => `bubblewrap (${probe.bwrap.command})`

export function unsupported(probe: MachineProbe): Unsupported | null {
  const { host, bwrap, namespaces } = probe
  if (host.os !== 'linux') {
    return { what: `this is ${host.os === 'darwin' ? 'macOS' : host.os === 'win32' ? 'Windows' : host.os}, not Linux: the sandbox is made of Linux namespaces, seccomp and cgroups`, cause: null, fix: notLinuxFix(host.os) }
  }
  if (host.wsl === 1) return { what: 'this is WSL 1', cause: CAUSES.wsl1, fix: namespaceFix('wsl1', host) }
  if (!bwrap.path) {
    return { what: `${bwrapName(probe)} was not found${bwrap.fromOption ? ' (option `bwrap`)' : ' on PATH'}`, cause: null, fix: bwrapMissingFix(bwrap.fromOption, host) }
  }
  if (bwrap.error) return { what: `${bwrapName(probe)} cannot be used: ${bwrap.error}`, cause: null, fix: bwrapMissingFix(bwrap.fromOption, host) }
  if (bwrapTooOld(bwrap)) {
    return { what: `bubblewrap ${bwrap.version} is too old: ${MIN_BWRAP} or newer is needed (older ones lack flags the sandbox uses)`, cause: null, fix: bwrapUpgradeFix() }
  }
  if (namespaces && !namespaces.ok && !namespaces.abandoned) {
    const cause = namespaceCause(probe)
    return {
      what: `bubblewrap ${bwrap.version} could not create the sandbox's namespaces${namespaces.mode === 'root' ? ' (as root, switching to an unprivileged uid inside)' : ''}.\n` +
        `Tried: ${namespaces.tried.join(' ')}\nbwrap said: ${namespaces.stderr || '(nothing)'}`,
      cause: CAUSES[cause],
      fix: namespaceFix(cause, host, bwrap.path),
    }
  }
  return null
}

const NS_LABEL: Record<NamespaceName, string> = { user: 'user', pid: 'pid', net: 'network', mount: 'mount', uts: 'uts (hostname)', ipc: 'ipc', cgroup: 'cgroup' }

function namespaceRows(probe: MachineProbe, blocked: Unsupported | null): Capability[] {
  const ns = probe.namespaces
  const cause = ns && !ns.ok && !ns.abandoned ? namespaceCause(probe) : null
  let fixShown = false
  return NAMESPACES.map((name) => {
    const state = ns?.each[name] ?? 'untested'
    const row: Capability = { id: `namespace.${name}`, label: `${NS_LABEL[name]} namespace`, status: 'unknown', detail: '', cause: null, fix: [] }
    if (state === 'fresh') return { ...row, status: 'ok', detail: ns!.mode === 'root' ? 'created (as root)' : 'created (rootless)' }
    if (state === 'unused') return { ...row, status: 'unused', detail: 'not used as root: the worker runs as a plain uid (setpriv), nested namespaces are refused by seccomp' }
    if (name === 'cgroup' && state === 'refused' && ns?.ok) {
      return { ...row, status: 'limited', detail: 'not available (kernel without cgroup namespaces): the sandbox has no /sys/fs/cgroup, so nothing is lost' }
    }
    if (state === 'untested') {
      const why = ns?.abandoned ? unverifiedText(ns) : ns ? 'not tried: a namespace it needs was refused' : `not tried: ${blocked?.what.split('\n')[0] ?? 'bubblewrap is not usable'}`
      return { ...row, detail: why }
    }
    // The fix goes on the first refused row only: one cause, one fix.
    const first = !fixShown
    fixShown = true
    return { ...row, status: 'missing', detail: 'refused', cause: cause ? CAUSES[cause] : null, fix: first && cause ? namespaceFix(cause, probe.host, probe.bwrap.path ?? undefined) : [] }
  })
}

export function diagnose(probe: MachineProbe): Capability[] {
  const { host, bwrap, namespaces, cgroups } = probe
  const blocked = unsupported(probe)
  const rows: Capability[] = []
  const linux = host.os === 'linux'
  rows.push({
    id: 'platform',
    label: 'platform',
    status: linux && host.wsl !== 1 ? 'ok' : 'missing',
    detail: `${host.os} ${host.arch}${host.kernel ? `, kernel ${host.kernel}` : ''}${host.wsl ? `, WSL ${host.wsl}` : ''}${host.container ? `, in a ${host.container} container` : ''}, Node ${host.node}${host.uid === 0 ? ', running as root' : host.uid !== null ? `, uid ${host.uid}` : ''}`,
    cause: linux && host.wsl !== 1 ? null : blocked?.cause ?? null,
    fix: linux && host.wsl !== 1 ? [] : blocked?.fix ?? [],
  })
  if (!linux) return rows

  const tooOld = bwrapTooOld(bwrap)
  rows.push({
    id: 'bwrap',
    label: 'bubblewrap',
    status: !bwrap.path || bwrap.error || tooOld ? 'missing' : bwrap.disableUserns && bwrap.tmpfsSize ? 'ok' : 'limited',
    detail: !bwrap.path
      ? `${bwrap.command} not found${bwrap.fromOption ? ' (option `bwrap`)' : ' on PATH'}`
      : bwrap.error ?? `${bwrap.version} at ${bwrap.path}${bwrap.setuid ? ' (setuid root)' : ''}${!bwrap.disableUserns || !bwrap.tmpfsSize ? ': older than 0.8' : ''}`,
    cause: !bwrap.path || bwrap.error || tooOld ? blocked?.cause ?? null : !bwrap.disableUserns || !bwrap.tmpfsSize ? 'bubblewrap before 0.7 has no tmpfs --size, before 0.8 no --disable-userns' : null,
    fix: !bwrap.path || bwrap.error ? blocked?.fix ?? [] : !bwrap.disableUserns || !bwrap.tmpfsSize ? bwrapUpgradeFix() : [],
  })

  if (namespaces?.mode === 'root') {
    rows.push({
      id: 'setpriv',
      label: 'setpriv (root mode)',
      status: host.setpriv ? 'ok' : 'missing',
      detail: host.setpriv ? 'the worker drops to an unprivileged uid' : 'not found',
      cause: host.setpriv ? null : CAUSES.setpriv,
      fix: host.setpriv ? [] : setprivFix(host),
    })
  }
  rows.push(...namespaceRows(probe, blocked))

  const untested = (id: string, label: string): Capability => ({
    id, label, status: 'unknown', detail: namespaces?.abandoned ? unverifiedText(namespaces) : 'not tried: the sandbox could not be built', cause: null, fix: [],
  })
  if (namespaces?.ok) {
    rows.push({ id: 'loopback', label: 'loopback (lo up)', status: namespaces.loopback ? 'ok' : 'missing', detail: namespaces.loopback ? 'brought up in the new network namespace' : 'the network namespace was refused', cause: null, fix: [] })
  } else rows.push(untested('loopback', 'loopback (lo up)'))

  const seccompOk = seccompProblem(probe) === null
  if (namespaces?.ok) {
    const detail = namespaces.nestedUsernsDisabled
      ? 'refused by bubblewrap (--disable-userns)'
      : seccompOk ? `refused by the seccomp filter${namespaces.mode === 'root' ? ' (as root there is no user namespace to lock)' : ' (bubblewrap before 0.8 cannot lock them)'}` : 'NOT refused: no --disable-userns and no seccomp filter'
    rows.push({
      id: 'nested-userns',
      label: 'nested user namespaces',
      status: namespaces.nestedUsernsDisabled ? 'ok' : seccompOk ? 'limited' : 'missing',
      detail,
      cause: null,
      fix: namespaces.nestedUsernsDisabled || namespaces.mode === 'root' ? [] : bwrapUpgradeFix(),
    })
    rows.push({
      id: 'tmpfs-size',
      label: 'tmpfs size limit',
      status: namespaces.tmpfsSize ? 'ok' : 'limited',
      detail: namespaces.tmpfsSize ? '/tmp and $HOME get --size' : 'bubblewrap before 0.7: /tmp and $HOME are bounded by the memory limit only',
      cause: null,
      fix: namespaces.tmpfsSize ? [] : bwrapUpgradeFix(),
    })
  } else rows.push(untested('nested-userns', 'nested user namespaces'), untested('tmpfs-size', 'tmpfs size limit'))

  rows.push(seccompRow(probe))
  rows.push(
    cgroups === null
      ? { id: 'cgroups', label: 'cgroups (limits)', status: 'unused', detail: 'not probed (`cgroups: false`)', cause: null, fix: [] }
      : cgroups.version === null
        ? { id: 'cgroups', label: 'cgroups (limits)', status: 'missing', detail: `no writable cgroup${cgroups.machineVersion ? ` (cgroup v${cgroups.machineVersion})` : ''}: ${cgroups.reason}`, cause: null, fix: cgroupFix(cgroups.machineVersion, host) }
        : {
            id: 'cgroups',
            label: 'cgroups (limits)',
            status: cgroups.cpuMissing ? 'limited' : 'ok',
            detail: `v${cgroups.version}: ${cgroups.controllers.join(', ')} in ${[...new Set(cgroups.dirs.map((dir) => path.dirname(dir)))].join(', ')}${cgroups.cpuMissing ? `; cpu not enforced: ${cgroups.cpuMissing}` : ''}`,
            cause: null,
            fix: cgroups.cpuMissing ? cpuFix(cgroups.version) : [],
          },
  )
  return rows
}

/** Why the seccomp filter cannot be used here (with the fix), or null when it can. */
export function seccompProblem(probe: MachineProbe): { why: string; fix: string[] } | null {
  const { host, seccomp } = probe
  if (host.seccompActions === null) return { why: 'the kernel has no seccomp filters (/proc/sys/kernel/seccomp/actions_avail is missing)', fix: ['use a kernel built with CONFIG_SECCOMP_FILTER, or set `seccomp: false`'] }
  if (!SECCOMP_ARCHES.includes(host.arch)) return seccompArchProblem(host.arch)
  if (seccomp === null) return { why: 'libseccomp was not loaded (no policy filters system calls)', fix: [] }
  if (seccomp.library === null) return { why: seccomp.error ?? 'libseccomp could not be loaded', fix: libseccompFix(host) }
  return null
}

function seccompRow(probe: MachineProbe): Capability {
  const row = (status: Status, detail: string, fix: string[] = []): Capability => ({ id: 'seccomp', label: 'seccomp filter', status, detail, cause: null, fix })
  if (probe.seccomp === null && probe.host.seccompActions !== null) return row('unused', 'not probed (`seccomp: false` everywhere)')
  const problem = seccompProblem(probe)
  if (problem) return row('missing', problem.why, problem.fix)
  return row('ok', `libseccomp ${probe.seccomp!.library}; kernel actions: ${probe.host.seccompActions!.join(' ')}`)
}
