/** Seccomp option shapes (owned by src/seccomp; the policy layer only passes them through). */

export type SeccompAction = 'errno' | 'kill' | 'log' | 'allow'

/** Comparison operators, as libseccomp names them (SCMP_CMP_*). */
export type ArgOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq'

/**
 * One argument comparison (libseccomp's `struct scmp_arg_cmp`), as users write it. Arguments are
 * compared as unsigned 64-bit values; negative numbers are taken as two's complement (so `-1`
 * matches a `long` of -1). Values may be numbers, bigints, numeric strings (`'0x10'`) or symbolic
 * constants, also or-ed together: `'AF_NETLINK'`, `'CLONE_NEWUSER|CLONE_NEWNET'`.
 *
 * Note: the kernel reads `int` arguments from the low 32 bits of the register only; to compare
 * such an argument exactly, use `{ op: 'masked_eq', mask: 0xffffffff, value }`.
 */
export interface ArgComparison {
  /** Argument index 0..5. */
  index: number
  op: ArgOp
  value: number | bigint | string
  /** Only for `masked_eq`: matches when `(arg & mask) === value`. */
  mask?: number | bigint | string
}

export interface SeccompRuleObject {
  syscall: string
  /** `'errno'` (default): fail with `errno`; `'kill'`: kill the process; `'log'`: allow and log. */
  action?: Exclude<SeccompAction, 'allow'>
  /** Errno name for `action: 'errno'` (default `EPERM`). */
  errno?: string
  /** All must hold for the rule to apply (libseccomp ANDs them); at most one per argument index. */
  args?: ArgComparison[]
}

export type SeccompRule = string | SeccompRuleObject

export type SeccompOption =
  | 'default'
  | 'strict'
  | false
  | { extends?: 'default' | 'strict'; deny?: SeccompRule[]; allow?: SeccompRule[] }

/** A normalised comparison: values are unsigned 64-bit, written as lowercase hex (`'0x10'`). */
export interface PolicyArgComparison {
  index: number
  op: ArgOp
  value: string
  /** Present only for `masked_eq`. */
  mask?: string
}

export interface PolicyDenyRule {
  syscall: string
  action: Exclude<SeccompAction, 'allow'>
  /** Errno name for `action: 'errno'`, `null` for the other actions. */
  errno: string | null
  args: PolicyArgComparison[]
}

export interface PolicyAllowRule {
  syscall: string
  args: PolicyArgComparison[]
}

/**
 * A validated, normalised seccomp policy: plain JSON-able data, comparable by JSON.stringify.
 * `deny[i]` / `allow[i]` come from the user's `deny[i]` / `allow[i]` (same index, same order), so a
 * later error can name the rule.
 */
export interface SeccompPolicy {
  base: 'default' | 'strict'
  deny: PolicyDenyRule[]
  allow: PolicyAllowRule[]
}
