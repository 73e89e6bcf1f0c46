/**
 * What one sandbox holds besides its process: the seccomp program it is launched with, the cgroup it
 * runs in, the firewall on its channel and the host side of its relay, all derived from the same
 * policy and launch plan.
 */
import type { LaunchPlan, PlanInput } from '../isolate/plan.js'
import type { Firewall } from '../channel/firewall/index.js'
import type { HostCalls } from '../channel/host-calls.js'

export interface SandboxResources {
  seccomp: Buffer | null
  /** The relay's input to the plan (its private directory), when the sandbox needs one. */
  relay: PlanInput['relay'] | null
  /** The launch plan is known: build what depends on it (the channel firewall with the pool's host calls, the relay's host side). */
  attach(plan: LaunchPlan, host?: HostCalls): Promise<void>
  /** Polices the worker's channel with exactly the paths the plan mounts (set by attach). */
  firewall: Firewall | null
  /** The launcher prefix (entering the cgroup) around the command. */
  wrap(argv: string[]): string[]
  /** Why the limits ended the sandbox, if they did. */
  killReason(): Promise<string | null>
  /** Remove the cgroup and anything left in it; end the relay. */
  release(): Promise<void>
}
