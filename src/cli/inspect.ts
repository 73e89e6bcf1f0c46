/**
 * What `doctor` and `explain` both start from: the user's config, loaded as Vitest loads it, and one
 * probe of the machine with the options of the first project that uses the pool (its `bwrap`, its
 * `cgroups`), as the workers of that project would be (its root decides who they are as root).
 */
import { sandboxIdentity } from '../isolate/host.js'
import { probeMachine } from '../probe/probe.js'
import type { MachineProbe } from '../probe/types.js'
import { loadConfig, type LoadedConfig } from './load-config.js'

export interface Inspection {
  loaded: LoadedConfig
  probe: MachineProbe
}

export async function inspect(args: { config?: string; root?: string }): Promise<Inspection> {
  const loaded = await loadConfig(args)
  const first = loaded.projects.find((p) => p.options)
  const options = first?.options ?? {}
  const { probe, cgroups } = await probeMachine({
    bwrap: options.bwrap,
    identity: sandboxIdentity(first?.project.config.root ?? loaded.vitest.config.root, options.user),
    // Reported whatever the config says: doctor lists what the machine can do.
    seccomp: true,
    cgroups: options.cgroups !== false,
  })
  // Setting them up was the test; the commands run no sandbox.
  await cgroups?.run?.close()
  return { loaded, probe }
}
