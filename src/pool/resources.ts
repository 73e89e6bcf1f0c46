/**
 * What one sandbox holds besides its process: the seccomp program it is launched with, the cgroup it
 * runs in, and the firewall on its channel, all derived from the same policy and launch plan.
 */
import type { LaunchPlan } from '../isolate/plan.js'
import type { Firewall } from '../channel/firewall/index.js'
import type { HostCalls } from '../channel/host-calls.js'

export interface SandboxResources {
  seccomp: Buffer | null
  /** The launch plan is known: build what depends on it (the channel firewall, with the pool's host calls). */
  attach(plan: LaunchPlan, host?: HostCalls): void
  /** Polices the worker's channel with exactly the paths the plan mounts (set by attach). */
  firewall: Firewall | null
  /** The launcher prefix (entering the cgroup) around the command. */
  wrap(argv: string[]): string[]
  /** Why the limits ended the sandbox, if they did. */
  killReason(): Promise<string | null>
  /** Remove the cgroup and anything left in it. */
  release(): Promise<void>
}
