/**
 * One probe of the machine, once per run (never cached on disk): every capability found out by
 * trying it (bubblewrap's namespaces with the workers' identity, loading libseccomp, setting up the
 * run's cgroups) and by reading the kernel's own files. Independent steps overlap: while bubblewrap
 * runs in a child process, this thread sets up cgroups or loads libseccomp. A bubblewrap command
 * that takes longer than `timeoutMs` is abandoned (killed) and reported as such; the in-process
 * steps are reads and writes of kernel files and a dlopen, which do not block.
 */
import { tryOpenCgroups, type CgroupOpening } from '../cgroup/cgroups.js'
import type { Identity } from '../isolate/etc.js'
import { SandboxUnavailableError } from '../policy/errors.js'
import { loadLibseccomp } from '../seccomp/libseccomp.js'
import { probeBwrapBinary, probeNamespaces } from './bwrap-probe.js'
import { readHostFacts } from './host-facts.js'
import type { BwrapFacts, CgroupFacts, MachineProbe, SeccompFacts, StepTiming } from './types.js'
import { bwrapTooOld } from './diagnose.js'

/** A probe step may take this long before it is abandoned. */
export const STEP_TIMEOUT_MS = 2_000

/** For machines that are slow on purpose (emulated CI, a test suite on a loaded box): a longer deadline. */
export const TIMEOUT_VARIABLE = 'VITEST_POOL_NSJAIL_PROBE_TIMEOUT_MS'

function stepTimeout(): number {
  const value = Number(process.env[TIMEOUT_VARIABLE])
  return Number.isFinite(value) && value > 0 ? value : STEP_TIMEOUT_MS
}

export interface ProbeOptions {
  /** The `bwrap` option (default: `bwrap` on PATH). */
  bwrap?: string
  /** Who the workers will be: the namespaces are tried as them. */
  identity: Identity
  /** Load libseccomp (some policy filters system calls). */
  seccomp: boolean
  /** Set up the run's cgroups (`cgroups` is not false). */
  cgroups: boolean
  /** Receives the cgroup run's later warnings (a `limits.cpu` it cannot enforce). */
  warn?: (message: string) => void
  /** Default: STEP_TIMEOUT_MS, or the TIMEOUT_VARIABLE environment variable. */
  timeoutMs?: number
}

export interface ProbeResult {
  probe: MachineProbe
  /** The run's cgroups as set up by the probe (the pool keeps them; `doctor` closes them), or null when not tried. */
  cgroups: CgroupOpening | null
}

export async function probeMachine(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now()
  const timeoutMs = options.timeoutMs ?? stepTimeout()
  const steps: StepTiming[] = []
  const timed = <T>(step: string, run: () => T): T => {
    const t = performance.now()
    try {
      return run()
    } finally {
      steps.push({ step, ms: elapsed(t), abandoned: false })
    }
  }

  const host = timed('host facts', readHostFacts)
  if (host.os !== 'linux') {
    const probe: MachineProbe = { host, bwrap: notProbed(options.bwrap), namespaces: null, seccomp: null, cgroups: null, steps, ms: elapsed(started) }
    return { probe, cgroups: null }
  }

  // bubblewrap runs as child processes; while each one runs, this thread does an in-process step.
  const step = async <T extends { abandoned: boolean }>(name: string, run: Promise<T>): Promise<T> => {
    const t = performance.now()
    const result = await run
    steps.push({ step: name, ms: elapsed(t), abandoned: result.abandoned })
    return result
  }
  const version = step('bwrap --version', probeBwrapBinary(options.bwrap, timeoutMs))
  const opening = options.cgroups ? timed('cgroups', () => tryOpenCgroups(options.warn)) : null
  const bwrap = await version
  // Only a bwrap that passed the version checks is worth a sandbox attempt.
  const usable = bwrap.path !== null && bwrap.error === null && !bwrapTooOld(bwrap)
  const namespaces = usable ? step('namespaces', probeNamespaces(bwrap, options.identity, timeoutMs)) : null
  const seccomp = options.seccomp ? timed('libseccomp', probeSeccomp) : null
  const probe: MachineProbe = { host, bwrap, namespaces: await namespaces, seccomp, cgroups: opening && cgroupFacts(opening), steps, ms: elapsed(started) }
  return { probe, cgroups: opening }
}

function probeSeccomp(): SeccompFacts {
  try {
    return { library: loadLibseccomp().version, error: null }
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError)) throw error
    return { library: null, error: error.fact }
  }
}

function cgroupFacts(opening: CgroupOpening): CgroupFacts {
  if (!opening.run) return { version: null, controllers: [], dirs: [], reason: opening.reason, machineVersion: opening.version, cpuMissing: null }
  const { run } = opening
  return {
    version: run.version,
    controllers: [...run.controllers],
    dirs: [...run.dirs],
    reason: null,
    machineVersion: run.version,
    cpuMissing: run.cpuMissing,
  }
}

function notProbed(option: string | undefined): BwrapFacts {
  return { command: option ?? 'bwrap', fromOption: option !== undefined, path: null, version: null, tmpfsSize: false, disableUserns: false, setuid: false, error: null, abandoned: false }
}

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10
