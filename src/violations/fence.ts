/**
 * The host's facts about one sandbox, for src/violations/classify.ts: where a path lies in its view (the
 * launch plan's own mounts, as the channel firewall judges them), whether the host has a path, a
 * listening socket or a variable. Read on the host only; nothing here follows what a worker asks.
 */
import path from 'node:path'
import { createView, locateUncached } from '../channel/firewall/view.js'
import { under } from '../channel/firewall/paths.js'
import type { LaunchPlan } from '../isolate/plan.js'
import type { Policy } from '../policy/types.js'
import type { Fence, Place } from './classify.js'
import { hostListens } from './network.js'
import type { Hints } from './hints.js'

export interface FenceInput {
  root: string
  policy: Policy
  plan: Pick<LaunchPlan, 'access' | 'env' | 'ops' | 'identity'>
  /** The environment Vitest prepared for the worker: what the host has. */
  hostEnv: Record<string, string | undefined>
  hints: Hints
}

/** One Fence per test file of the sandbox (they differ in the file named). */
export function fenceFactory(input: FenceInput): (file: string) => Fence {
  const { plan, root } = input
  const view = createView({ root, ...plan.access })
  const writable = plan.access.writable.map((p) => locateUncached(path.resolve(p)).real)
  // Made by the sandbox itself: its /proc and /dev, and the /etc files it is given. Its tmpfs /tmp and
  // home are not here: a host path there may be one a test needs (fs.readonly mounts it on top), and
  // a test's own missing file there is one the host does not have either.
  const own = ['/proc', '/dev', ...plan.ops.flatMap((op) => (op.op === 'file' ? [op.dest] : []))]

  function place(p: string): Place {
    if (under(p, ['/proc', '/dev'])) return 'private'
    const located = view.locate(p)
    if (located.readable) return under(located.real, writable) ? 'writable' : 'readable'
    return under(p, own) ? 'private' : 'outside'
  }

  return (file) => ({
    root,
    file: path.relative(root, file),
    policy: input.policy,
    place,
    exists: (p) => locateUncached(p).kind !== 'missing',
    hostListens: (address, port) => hostListens(address, port),
    withheld: (name) => input.hostEnv[name] !== undefined && plan.env[name] === undefined,
    portFor: (hostname) => input.hints.portFor(hostname),
  })
}
