/**
 * The one place that describes a policy: each facet says, for one dimension of a Policy, what
 * `explain` prints, what the start banner says, and whether this machine enforces it. `explain`,
 * the banner and `doctor` only iterate this list, so a new policy dimension is one entry here.
 * Pure: the machine comes in as probe data, the mounts and environment as the file's launch plan.
 */
import path from 'node:path'
import { describeLimits, formatBytes, formatDuration } from '../cgroup/limits.js'
import { DEFAULT_ENV_ALLOW } from '../isolate/env.js'
import type { LaunchPlan } from '../isolate/plan.js'
import { DEFAULT_TMP_SIZE } from '../policy/resolve.js'
import type { NsjailOptions, Policy } from '../policy/types.js'
import { describePolicy } from '../seccomp/index.js'
import { seccompProblem, unsupported, unverifiedText } from '../probe/diagnose.js'
import { bwrapUpgradeFix, cgroupFix, cpuFix, libseccompFix } from '../probe/fixes.js'
import type { MachineProbe } from '../probe/types.js'
import { describeForwards } from '../relay/plan.js'
import { describeRootfs } from '../rootfs/option.js'

export interface Enforcement {
  /** enforced: as promised. off: the options turned it off. not-enforced: asked for, but this machine cannot. */
  state: 'enforced' | 'off' | 'not-enforced'
  /** How, when not by the usual means; why not, when not. */
  note: string
  fix: string[]
}

export interface FacetContext {
  policy: Policy
  probe: MachineProbe
  /** The run-wide options (`cgroups`, …). */
  options: NsjailOptions
  /** The project root: paths are shown relative to it. */
  root: string
}

export interface Facet {
  name: string
  /** Lines for `explain` (label, text); the plan is the file's own launch plan. */
  explain(context: FacetContext, plan: LaunchPlan): Array<[string, string]>
  /** Parts of the start banner's line (each compared on its own with the baseline's); none when nothing is worth a mention. */
  brief(context: FacetContext): string[]
  /** Whether this machine enforces it; null when the policy asks for nothing here. */
  enforcement(context: FacetContext): Enforcement | null
}

const enforced = (note = ''): Enforcement => ({ state: 'enforced', note, fix: [] })
const off = (note: string): Enforcement => ({ state: 'off', note, fix: [] })
const notEnforced = (note: string, fix: string[]): Enforcement => ({ state: 'not-enforced', note, fix })

const relative = (root: string, p: string) => (p === root ? '.' : p.startsWith(`${root}/`) ? path.relative(root, p) : p)
const list = (items: string[]) => (items.length ? items.join(', ') : 'none')

const rootMode = (probe: MachineProbe) => probe.namespaces?.mode === 'root'
const seccompWorks = (probe: MachineProbe) => seccompProblem(probe) === null

const namespaces: Facet = {
  name: 'namespaces',
  explain: ({ policy, probe }, plan) => {
    // The cgroup namespace is taken when the kernel has it (--unshare-cgroup-try).
    const cgroup = probe.namespaces?.each.cgroup === 'fresh' ? ['cgroup'] : []
    const names = [...(plan.identity.setuid ? [] : ['user']), 'pid', ...(policy.network === 'host' ? [] : ['network']), 'mount', 'uts', 'ipc', ...cgroup]
    const who = plan.identity.setuid
      ? `as root: no user namespace; the worker becomes uid ${plan.identity.uid} with setpriv, no capabilities`
      : `rootless: uid ${plan.identity.uid} mapped to itself, no capabilities`
    return [['namespaces', `${names.join(', ')} (${who})`]]
  },
  brief: ({ policy, probe }) => {
    const names = [...(rootMode(probe) ? [] : ['user']), 'pid', ...(policy.network === 'host' ? [] : ['net']), 'mnt', 'uts', 'ipc']
    return [`${names.join('+')} ns`]
  },
  // A machine that cannot build them fails every facet: see facetEnforcement.
  enforcement: ({ probe }) => (probe.namespaces?.abandoned ? notEnforced(unverifiedText(probe.namespaces), []) : enforced()),
}

/** The host services a policy forwards into the sandbox (network: { forward }), as users wrote them. */
const forwards = (policy: Policy) => (typeof policy.network === 'object' ? describeForwards(policy.network.forward) : [])

const network: Facet = {
  name: 'network',
  explain: ({ policy }) => [['network', policy.network === 'host'
    ? "host: the host's network, not isolated"
    : typeof policy.network === 'object'
      ? `a private network namespace with only lo up, where exactly these host services are reachable: ${list(forwards(policy))}`
      : 'loopback: a private network namespace with only lo up (no route out, no DNS)']],
  brief: ({ policy }) => (policy.network === 'host' ? ['network host'] : typeof policy.network === 'object' ? [`forward ${list(forwards(policy))}`] : []),
  enforcement: ({ policy, probe }) => {
    if (policy.network === 'host') return off('`network: \'host\'`')
    return probe.namespaces?.loopback ? enforced() : notEnforced('no private network namespace with lo up', [])
  },
}

const rootfs: Facet = {
  name: 'rootfs',
  explain: ({ policy }) => [['rootfs', describeRootfs(policy.rootfs).replace(/^rootfs /, '')]],
  brief: ({ policy }) => {
    const { rootfs } = policy
    if (rootfs.base === 'host') return []
    return [rootfs.base === 'dir' ? `rootfs ${rootfs.dir}` : `rootfs minimal${rootfs.tools.length ? ` +${rootfs.tools.join(',')}` : ''}`]
  },
  enforcement: () => null,
}

const files: Facet = {
  name: 'files',
  explain: ({ root }, plan) => {
    const writable = new Set(plan.access.writable)
    return [
      ['readable', list(plan.access.readable.filter((p) => !writable.has(p)).map((p) => relative(root, p)))],
      ['writable', list(plan.access.writable.map((p) => relative(root, p)))],
    ]
  },
  brief: ({ policy, root }) => [
    ...(policy.fs.readonly.length ? [`+read ${policy.fs.readonly.map((p) => relative(root, p)).join(',')}`] : []),
    ...(policy.fs.writable.length ? [`+write ${policy.fs.writable.map((p) => relative(root, p)).join(',')}`] : []),
  ],
  enforcement: () => enforced(),
}

const tmpfs: Facet = {
  name: 'tmpfs',
  explain: ({ policy }, plan) => [['tmpfs', `/tmp and ${plan.identity.home}: private, ${formatBytes(policy.fs.tmpSize)} each`]],
  brief: ({ policy }) => (policy.fs.tmpSize !== DEFAULT_TMP_SIZE ? [`tmp ${formatBytes(policy.fs.tmpSize)}`] : []),
  enforcement: ({ policy, probe, options }) => {
    if (probe.namespaces?.tmpfsSize) return enforced()
    const memory = limitsEnforcement(policy, probe, options)
    if (policy.limits.memory !== null && memory?.state === 'enforced') return enforced('by the memory limit (bubblewrap before 0.7 has no tmpfs --size)')
    if (policy.limits.memory === null || memory?.state === 'off') return off('bubblewrap before 0.7 has no tmpfs --size, and no memory limit bounds it')
    return notEnforced('bubblewrap before 0.7 has no tmpfs --size, and the memory limit is not enforced either', bwrapUpgradeFix())
  },
}

const env: Facet = {
  name: 'env',
  explain: ({ policy }, plan) => [
    ['env', `${Object.keys(plan.env).sort().join(', ')} (names only; any other host variable matching ${[...DEFAULT_ENV_ALLOW, ...policy.env.allow].join(' ')} passes too)`],
  ],
  brief: ({ policy }) => {
    const extra = [...policy.env.allow, ...Object.keys(policy.env.set)]
    return extra.length ? [`+env ${extra.join(',')}`] : []
  },
  enforcement: () => enforced(),
}

const hostname: Facet = {
  name: 'hostname',
  explain: ({ policy }) => [['hostname', policy.hostname]],
  brief: ({ policy }) => (policy.hostname !== 'nsjail' ? [`hostname ${policy.hostname}`] : []),
  enforcement: () => enforced(),
}

const seccomp: Facet = {
  name: 'seccomp',
  explain: ({ policy }) => [['seccomp', describePolicy(policy.seccomp).replace(/^seccomp /, '')]],
  brief: ({ policy }) => {
    if (policy.seccomp === false) return ['seccomp off']
    const extra = policy.seccomp.deny.length + policy.seccomp.allow.length
    return [`seccomp ${policy.seccomp.base}${extra ? ` +${extra} rule${extra > 1 ? 's' : ''}` : ''}`]
  },
  enforcement: ({ policy, probe }) => seccompEnforcement(policy.seccomp, probe),
}

/** The filter needs libseccomp (loaded by the probe) and a kernel with seccomp filters. */
export function seccompEnforcement(option: Policy['seccomp'], probe: MachineProbe): Enforcement {
  if (option === false) return off('`seccomp: false`')
  const problem = seccompProblem(probe)
  return problem ? notEnforced(problem.why, problem.fix) : enforced()
}

const nestedUserns: Facet = {
  name: 'nested user namespaces',
  explain: (context) => {
    const e = nestedUserns.enforcement(context)!
    return [['nested userns', e.state === 'enforced' ? `refused ${e.note}` : `NOT refused: ${e.note}`]]
  },
  brief: () => [],
  enforcement: ({ policy, probe }) => {
    if (probe.namespaces?.nestedUsernsDisabled) return enforced('by bubblewrap (--disable-userns)')
    const why = rootMode(probe) ? 'as root there is no user namespace to lock' : 'bubblewrap before 0.8 cannot lock them'
    if (policy.seccomp === false) return off(`\`seccomp: false\`, and ${why}`)
    if (seccompWorks(probe)) return enforced(`by the seccomp filter (${why})`)
    return notEnforced(`${why}, and the seccomp filter is not available`, rootMode(probe) ? libseccompFix(probe.host) : bwrapUpgradeFix())
  },
}

function limitsEnforcement(policy: Policy, probe: MachineProbe, options: NsjailOptions): Enforcement | null {
  const { memory, pids, cpu } = policy.limits
  if (memory === null && pids === null && cpu === null) return null
  if (options.cgroups === false) return off('`cgroups: false`')
  const cgroups = probe.cgroups
  if (!cgroups || cgroups.version === null) {
    return notEnforced(`no writable cgroup${cgroups?.reason ? ` (${cgroups.reason})` : ''}`, cgroupFix(cgroups?.machineVersion ?? null, probe.host))
  }
  if (cpu !== null && cgroups.cpuMissing) return notEnforced(`cpu: ${cgroups.cpuMissing}`, cpuFix(cgroups.version))
  return enforced()
}

const limits: Facet = {
  name: 'limits',
  explain: ({ policy, probe }) => [['limits', `${describeLimits(policy.limits)}${probe.cgroups?.version ? ` (cgroup v${probe.cgroups.version})` : ''}`]],
  brief: ({ policy, probe }) => {
    const { memory, pids, cpu } = policy.limits
    return [
      memory !== null ? `memory ${formatBytes(memory)}` : '',
      pids !== null ? `pids ${pids}` : '',
      cpu !== null ? `cpu ${cpu}` : '',
      probe.cgroups?.version ? `cgroup v${probe.cgroups.version}` : '',
    ].filter(Boolean)
  },
  enforcement: ({ policy, probe, options }) => limitsEnforcement(policy, probe, options),
}

const wallTime: Facet = {
  name: 'wall time',
  explain: () => [],
  brief: ({ policy }) => (policy.limits.wallTimeMs !== null ? [`wall time ${formatDuration(policy.limits.wallTimeMs)}`] : []),
  // A timer in the pool: it needs nothing from the machine.
  enforcement: ({ policy }) => (policy.limits.wallTimeMs !== null ? enforced() : null),
}

/** In the order `explain` and the banner show them. */
export const FACETS: readonly Facet[] = [namespaces, network, rootfs, files, tmpfs, env, hostname, seccomp, nestedUserns, limits, wallTime]

export interface FacetEnforcement extends Enforcement {
  facet: string
}

/** A facet's enforcement on this machine; where no sandbox can be built, nothing the options ask for is. */
export function facetEnforcement(facet: Facet, context: FacetContext): Enforcement | null {
  const e = facet.enforcement(context)
  const blocked = unsupported(context.probe)
  return e && blocked && e.state !== 'off' ? notEnforced(`no sandbox on this machine: ${blocked.what.split('\n')[0]}`, blocked.fix) : e
}

/** Every facet's enforcement for one policy (facets that ask nothing of the machine left out). */
export function enforcementOf(context: FacetContext): FacetEnforcement[] {
  return FACETS.flatMap((facet) => {
    const e = facetEnforcement(facet, context)
    return e ? [{ facet: facet.name, ...e }] : []
  })
}

/** The banner's parts for one policy, in facet order. */
export function briefsOf(context: FacetContext): string[] {
  return FACETS.flatMap((facet) => facet.brief(context))
}
