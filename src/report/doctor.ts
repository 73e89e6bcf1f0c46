/**
 * `doctor`'s report as data: the machine's capabilities and, for each project of the config that
 * uses the pool, whether its policies are enforced here. `--json` prints exactly this object; its
 * shape (`schema: 1`) is documented in the README and only grows. Pure.
 */
import { diagnose, unsupported, type Capability, type Unsupported } from '../probe/diagnose.js'
import type { MachineProbe } from '../probe/types.js'
import type { PolicyGroup } from './banner.js'
import { briefsOf, enforcementOf, type FacetEnforcement } from './facets.js'

export interface PolicyReport {
  /** The rules that shape it (empty: the top-level options). */
  rules: string[]
  /** Test files that get it. */
  files: number
  /** The banner's words for it. */
  summary: string
  /** Each facet that asks something of the machine: enforced, off (by the options) or not-enforced. */
  enforcement: FacetEnforcement[]
}

export interface ProjectReport {
  /** Vitest's project name ('' for the root project). */
  name: string
  root: string
  onUnsupported: 'error' | 'warn'
  /** Problems of the options on this host (a path that does not exist, an unknown system call). */
  problems: string[]
  policies: PolicyReport[]
  /** No problems, and every policy enforced on this machine. */
  ok: boolean
}

export interface DoctorReport {
  schema: 1
  /** The exit status's meaning: true (0) when every policy of every project can be enforced here. */
  ok: boolean
  machine: {
    os: string
    arch: string
    kernel: string | null
    node: string
    uid: number | null
    /** How the sandbox runs here: 'root' (Vitest as root), 'rootless', or null when it cannot. */
    mode: 'root' | 'rootless' | null
    distro: string | null
    wsl: 1 | 2 | null
    container: string | null
    ci: string | null
  }
  capabilities: Capability[]
  /** Why no sandbox can be built here (then nothing is enforced), or null. */
  unsupported: Unsupported | null
  config: {
    /** The config file read, or null (none found: the report is for the default options). */
    file: string | null
    projects: ProjectReport[]
  }
  /** The raw probe: every fact and each step's time in ms. */
  probe: MachineProbe
}

export interface ProjectInput {
  name: string
  root: string
  onUnsupported: 'error' | 'warn'
  problems: string[]
  groups: PolicyGroup[]
}

export function doctorReport(probe: MachineProbe, configFile: string | null, projects: ProjectInput[]): DoctorReport {
  const blocked = unsupported(probe)
  const reports = projects.map((project): ProjectReport => {
    const policies = project.groups.map((group) => ({
      rules: group.rules,
      files: group.files,
      summary: briefsOf({ ...group, probe }).join(' · '),
      enforcement: enforcementOf({ ...group, probe }),
    }))
    const enforced = policies.every((policy) => policy.enforcement.every((e) => e.state !== 'not-enforced'))
    return { name: project.name, root: project.root, onUnsupported: project.onUnsupported, problems: project.problems, policies, ok: !blocked && project.problems.length === 0 && enforced }
  })
  const { host } = probe
  return {
    schema: 1,
    ok: !blocked && reports.every((project) => project.ok),
    machine: {
      os: host.os,
      arch: host.arch,
      kernel: host.kernel,
      node: host.node,
      uid: host.uid,
      mode: blocked ? null : probe.namespaces?.mode ?? null,
      distro: host.distro ? `${host.distro.id}${host.distro.version ? ` ${host.distro.version}` : ''}` : null,
      wsl: host.wsl,
      container: host.container,
      ci: host.ci,
    },
    capabilities: diagnose(probe),
    unsupported: blocked,
    config: { file: configFile, projects: reports },
    probe,
  }
}
