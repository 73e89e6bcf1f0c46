/**
 * Which system calls a file's seccomp policy refuses, and with what: read from the same tables the
 * filter is compiled from (src/seccomp/presets.ts, the user's rules), so the report never names a
 * call the filter lets through. Pure.
 */
import { DEFAULT_DENY, STRICT_ALLOW, STRICT_ENOSYS } from '../seccomp/presets.js'
import type { SeccompPolicy } from '../seccomp/types.js'

export interface SeccompAnswer {
  /** The errno name, or 'kill'. */
  answer: string
  /** Only for some arguments (clone with namespace flags, socket of some families, …). */
  conditional: boolean
}

/** How the policy answers `syscall`, when it refuses it at all. */
export function seccompAnswer(policy: SeccompPolicy | false, syscall: string): SeccompAnswer | null {
  if (!policy) return null
  // First match wins (src/seccomp/plan.ts): the user's deny rules, their allow rules, then the tables.
  const deny = policy.deny.find((r) => r.syscall === syscall)
  if (deny) return { answer: deny.action === 'errno' ? deny.errno ?? 'EPERM' : deny.action === 'kill' ? 'kill' : 'log', conditional: deny.args.length > 0 }
  if (policy.allow.some((r) => r.syscall === syscall && r.args.length === 0)) return null
  const row = DEFAULT_DENY.find((e) => e.syscall === syscall && e.answer !== 'allow')
  if (row) return { answer: row.answer, conditional: row.when.length > 0 }
  if (policy.base !== 'strict') return null
  const enosys = STRICT_ENOSYS.find((e) => e.syscall === syscall)
  if (enosys) return { answer: 'ENOSYS', conditional: false }
  const allowed = STRICT_ALLOW.filter((e) => e.syscall === syscall)
  if (allowed.length === 0) return { answer: 'EPERM', conditional: false }
  return allowed.some((e) => e.when.length === 0) ? null : { answer: 'EPERM', conditional: true }
}

/** Names a message may mention that the policy refuses: the built-in rows and the user's deny rules. */
export function refusedNames(policy: SeccompPolicy | false): Set<string> {
  if (!policy) return new Set()
  const names = [...DEFAULT_DENY.filter((e) => e.answer !== 'allow').map((e) => e.syscall), ...policy.deny.map((r) => r.syscall)]
  return new Set(names.filter((n) => seccompAnswer(policy, n) !== null))
}
