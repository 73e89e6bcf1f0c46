/** Seccomp option shapes (owned by src/seccomp; the policy layer only passes them through). */

export type SeccompAction = 'errno' | 'kill' | 'log' | 'allow'

export interface ArgComparison {
  /** Argument index 0..5. */
  index: number
  op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq'
  value: number | bigint | string
  /** Only for `masked_eq`. */
  mask?: number | bigint | string
}

export interface SeccompRuleObject {
  syscall: string
  action?: Exclude<SeccompAction, 'allow'>
  /** Errno name for `action: 'errno'` (default `EPERM`). */
  errno?: string
  args?: ArgComparison[]
}

export type SeccompRule = string | SeccompRuleObject

export type SeccompOption =
  | 'default'
  | 'strict'
  | false
  | { extends?: 'default' | 'strict'; deny?: SeccompRule[]; allow?: SeccompRule[] }

/** A validated, normalised seccomp policy: plain JSON-able data, comparable by JSON.stringify. */
export interface SeccompPolicy {
  base: 'default' | 'strict'
  deny: Array<Required<Pick<SeccompRuleObject, 'syscall' | 'action'>> & { errno: string; args: ArgComparison[] }>
  allow: Array<{ syscall: string; args: ArgComparison[] }>
}
