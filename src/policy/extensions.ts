/**
 * The per-file sections owned by other modules (seccomp, resource limits): each resolves its own
 * option against the policy it refines and validates it with its own messages.
 */
import { DEFAULT_LIMITS, resolveLimits } from '../cgroup/limits.js'
import { DEFAULT_POLICY, validateSeccompOption } from '../seccomp/validate.js'
import type { Policy, SandboxOptions } from './types.js'

export function resolveSandboxExtensions(
  base: Policy | undefined,
  layer: SandboxOptions,
  name: (key: string) => string,
): Pick<Policy, 'seccomp' | 'limits'> {
  return {
    // A seccomp option replaces the one before it as a whole: filters do not merge field by field.
    seccomp: layer.seccomp !== undefined ? validateSeccompOption(layer.seccomp, name('seccomp')) : base ? base.seccomp : DEFAULT_POLICY,
    limits: resolveLimits(layer.limits, name('limits'), base?.limits ?? DEFAULT_LIMITS),
  }
}
