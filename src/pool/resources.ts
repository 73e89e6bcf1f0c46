/**
 * What one sandbox holds besides its process: the seccomp program it is launched with, the cgroup it
 * runs in, and the firewall on its channel, all derived from the same policy and launch plan.
 */
import type { LaunchPlan } from '../isolate/plan.js'

export interface Access {
  root: string
  readable: string[]
  writable: string[]
}

export interface SandboxResources {
  seccomp: Buffer | null
  /** The paths the sandbox may read and write, from its plan (set by attach). */
  access: Access
  /** The launch plan is known: derive what depends on it (the channel firewall). */
  attach(plan: LaunchPlan): void
  /** A refusal to send back to the worker instead of forwarding its request, or undefined to pass it. */
  firewall?: (message: unknown) => unknown
  /** The launcher prefix (entering the cgroup) around the command. */
  wrap(argv: string[]): string[]
  /** Why the limits ended the sandbox, if they did. */
  killReason(): Promise<string | null>
  /** Remove the cgroup and anything left in it. */
  release(): Promise<void>
}
