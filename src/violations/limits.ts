/**
 * A sandbox the pool ended for a limit or a budget: which option, and twice its value as the
 * opening (the report cannot know what would be enough; the summary says it is a guess). Pure.
 */
import type { Policy } from '../policy/types.js'
import type { Allowance } from './allowance.js'

const MiB = 2 ** 20

export type Stop =
  | { kind: 'wallTime' }
  | { kind: 'memory' }
  | { kind: 'pids' }
  /** A budget on the host's work, by its `limits` key (src/channel/budgets.ts). */
  | { kind: 'budget'; key: string }
  | { kind: 'seccomp-kill' }

const size = (bytes: number) => `${Math.ceil((bytes * 2) / MiB)}M`

/** The raised limit, or null when the policy has none to raise. */
export function raisedLimit(policy: Policy, stop: Stop): Allowance['limits'] | null {
  switch (stop.kind) {
    case 'wallTime':
      return policy.limits.wallTimeMs === null ? null : { wallTime: `${Math.ceil((policy.limits.wallTimeMs * 2) / 1000)}s` }
    case 'memory':
      return policy.limits.memory === null ? null : { memory: size(policy.limits.memory) }
    case 'pids':
      return policy.limits.pids === null ? null : { pids: policy.limits.pids * 2 }
    case 'budget': {
      const value = (policy.budgets as unknown as Record<string, number | undefined>)[stop.key]
      if (value === undefined) return null
      return { [stop.key]: stop.key === 'messages' ? value * 2 : size(value) }
    }
    default:
      return null
  }
}

/** Which limit a kill reason names (the texts of src/cgroup/plan.ts describeKill and the budgets). */
export function stopOf(reason: string, timedOut: boolean, seccompKill: boolean): Stop | null {
  if (timedOut) return { kind: 'wallTime' }
  if (seccompKill) return { kind: 'seccomp-kill' }
  if (/^memory limit /.test(reason)) return { kind: 'memory' }
  if (/\bpids limit /.test(reason)) return { kind: 'pids' }
  const budget = /\(limits\.(\w+)\)/.exec(reason)
  return budget ? { kind: 'budget', key: budget[1] } : null
}
