/**
 * The thin executor: runs a launch plan. Everything it does is decided by the plan and by bwrapArgs;
 * here are only the effects (spawning, feeding bwrap its input fds). The worker's channel is a plain
 * pipe on fd 3 (src/channel frames it), not Node's IPC channel.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import type { Readable } from 'node:stream'
import { bwrapArgs, FIRST_INPUT_FD, type BwrapFeatures } from './bwrap.js'
import { inheritedFds, INHERITED_FDS_ENV } from './inherited-fds.js'
import { watchSandbox } from './reap-sandboxes.js'
import type { LaunchPlan } from './plan.js'

export interface LaunchOptions {
  bwrap: string
  features: BwrapFeatures
  /** The launcher prefix around the bwrap command (entering the cgroup). */
  wrap: (argv: string[]) => string[]
}

export function launch(plan: LaunchPlan, options: LaunchOptions): ChildProcess {
  const { args, inputs } = bwrapArgs(plan, options.features)
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', 'pipe', ...inputs.map(() => 'pipe' as const), 'pipe']
  // The last one is where bwrap says which pid the sandbox's pid 1 has (see reap-sandboxes.ts).
  const infoFd = stdio.length - 1
  const argv = options.wrap([options.bwrap, '--info-fd', String(infoFd), ...args])
  // The worker closes what it would inherit from us besides stdio (see inherited-fds.ts).
  const env = { ...plan.env, [INHERITED_FDS_ENV]: inheritedFds(stdio.length).join(',') }
  const child = spawn(argv[0], argv.slice(1), { stdio, env })
  watchSandbox(child, child.stdio[infoFd] as Readable)
  inputs.forEach((data, i) => {
    const stream = child.stdio[FIRST_INPUT_FD + i] as NodeJS.WritableStream | null
    // bwrap may die before reading everything; the exit is reported elsewhere, not as an EPIPE crash.
    stream?.on('error', () => {})
    stream?.end(data)
  })
  return child
}
