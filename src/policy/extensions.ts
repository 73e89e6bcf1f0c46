/**
 * The per-file sections owned by other modules (seccomp, resource limits): each resolves its own
 * option against the policy it refines and validates it with its own messages.
 */
import type { Policy, SandboxOptions } from './types.js'

export function resolveSandboxExtensions(
  base: Policy | undefined,
  layer: SandboxOptions,
  name: (key: string) => string,
): Pick<Policy, 'seccomp' | 'limits'> {
  void layer
  void name
  return {
    seccomp: base?.seccomp ?? false,
    limits: base?.limits ?? { memory: null, pids: null, cpu: null, wallTimeMs: null },
  }
}
