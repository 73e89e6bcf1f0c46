/**
 * The run's machine check: one probe, judged against the options. A machine that cannot sandbox
 * fails the run (or, with `onUnsupported: 'warn'`, makes it unsandboxed, loudly); a policy that
 * filters system calls without a usable libseccomp fails it; the `cgroups` mode decides about
 * limits. Every text comes from the probe's diagnosis and its fix catalogue.
 */
import { applyCgroupsMode, type CgroupRun } from '../cgroup/index.js'
import { sandboxIdentity, type Bwrap } from '../isolate/host.js'
import { SandboxUnavailableError } from '../policy/errors.js'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { seccompProblem, unsupported, type Unsupported } from '../probe/diagnose.js'
import { probeMachine } from '../probe/probe.js'
import type { MachineProbe } from '../probe/types.js'
import { problemText, unsandboxedWarning, unverifiedWarning } from '../report/problem.js'

export type RunMachine =
  | { probe: MachineProbe; unsandboxed: null; bwrap: Bwrap; cgroups: CgroupRun | null }
  /** `onUnsupported: 'warn'` on a machine that cannot sandbox: the run goes to Vitest's forks pool. */
  | { probe: MachineProbe; unsandboxed: Unsupported; bwrap: null; cgroups: null }

/** Whether any file's policy can filter system calls: the top level (on by default) or a rule that turns it on. */
export function usesSeccomp(options: NsjailOptions): boolean {
  return optionLayers(options).some(({ at, layer }) => layer.seccomp !== false && (at === '' || layer.seccomp !== undefined))
}

export async function checkMachine(options: NsjailOptions, root: string, warn: (message: string) => void): Promise<RunMachine> {
  const { probe, cgroups: opening } = await probeMachine({
    bwrap: options.bwrap,
    identity: sandboxIdentity(root, options.user),
    seccomp: usesSeccomp(options),
    cgroups: options.cgroups !== false,
    warn,
  })
  try {
    const blocked = unsupported(probe)
    if (blocked) {
      if (options.onUnsupported !== 'warn') throw new SandboxUnavailableError(problemText(blocked), blocked.what)
      await opening?.run?.close()
      warn(unsandboxedWarning(blocked))
      return { probe, unsandboxed: blocked, bwrap: null, cgroups: null }
    }
    if (probe.namespaces?.abandoned) warn(unverifiedWarning(probe.namespaces))
    const seccomp = usesSeccomp(options) ? seccompProblem(probe) : null
    if (seccomp) {
      throw new SandboxUnavailableError(problemText({ what: `the seccomp filter (on by default) cannot be used: ${seccomp.why}`, cause: null, fix: seccomp.fix }), seccomp.why)
    }
    const { bwrap } = probe
    return {
      probe,
      unsandboxed: null,
      bwrap: { path: bwrap.command, features: { version: bwrap.version!, tmpfsSize: bwrap.tmpfsSize, disableUserns: bwrap.disableUserns } },
      cgroups: opening && applyCgroupsMode(opening, options.cgroups || 'auto', warn, probe.host),
    }
  } catch (error) {
    await opening?.run?.close()
    throw error
  }
}
