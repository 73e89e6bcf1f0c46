/**
 * The per-file sections owned by other modules (seccomp, resource limits, the host's budgets): each
 * resolves its own option against the policy it refines and validates it with its own messages.
 */
import { DEFAULT_LIMITS, resolveLimits } from '../cgroup/limits.js'
import { BUDGET_KEYS, DEFAULT_BUDGETS, resolveBudgets } from '../channel/budgets.js'
import { DEFAULT_POLICY, validateSeccompOption } from '../seccomp/validate.js'
import type { Policy, SandboxOptions } from './types.js'

export function resolveSandboxExtensions(
  base: Policy | undefined,
  layer: SandboxOptions,
  name: (key: string) => string,
): Pick<Policy, 'seccomp' | 'limits' | 'budgets'> {
  const limits = resolveLimits(layer.limits, name('limits'), base?.limits ?? DEFAULT_LIMITS, BUDGET_KEYS)
  return {
    // A seccomp option replaces the one before it as a whole: filters do not merge field by field.
    seccomp: layer.seccomp !== undefined ? validateSeccompOption(layer.seccomp, name('seccomp')) : base ? base.seccomp : DEFAULT_POLICY,
    limits,
    // resolveLimits has checked it is an object (or absent).
    budgets: resolveBudgets((layer.limits ?? {}) as Record<string, unknown>, name('limits'), base?.budgets ?? DEFAULT_BUDGETS),
  }
}

/** Validates a `limits` option: the cgroup limits and the host's budgets alike. */
export function validateLimitsOption(value: unknown, option: string): void {
  resolveLimits(value, option, DEFAULT_LIMITS, BUDGET_KEYS)
  resolveBudgets(value as Record<string, unknown>, option, DEFAULT_BUDGETS)
}
