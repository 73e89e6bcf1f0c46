/**
 * What would have let a file through a fence, and the `rules` entry that says so. Pure.
 *
 * A rule's arrays replace the inherited ones (src/policy/resolve.ts), so the entry repeats what the
 * file's policy already has and adds the new items: pasted at the end of `rules`, it opens exactly
 * what was hit, for exactly that file, and closes nothing that was open.
 */
import path from 'node:path'
import type { Policy, Rule } from '../policy/types.js'
import type { PolicyAllowRule, PolicyDenyRule, SeccompPolicy } from '../seccomp/types.js'
import { forwardEntries } from './network.js'
import type { ForwardOption } from '../relay/entries.js'

/** Openings, each list in the option's own terms. */
export interface Allowance {
  /** Absolute host paths for `fs.readonly`. */
  readonly?: string[]
  /** Absolute host paths for `fs.writable`. */
  writable?: string[]
  /** `network.forward` entries. */
  forward?: ForwardOption[]
  /** System call names for `seccomp.allow`. */
  seccomp?: string[]
  /** Variable names for `env.allow`. */
  env?: string[]
  /** Raised limits and budgets, in the option's form (`'1024M'`, `2048`, `'1200s'`). */
  limits?: Record<string, string | number>
}

const LISTS = ['readonly', 'writable', 'forward', 'seccomp', 'env'] as const

function union<T>(a: readonly T[] = [], b: readonly T[] = []): T[] {
  const seen = new Map<string, T>()
  for (const item of [...a, ...b]) if (!seen.has(JSON.stringify(item))) seen.set(JSON.stringify(item), item)
  return [...seen.values()]
}

export function mergeAllowances(list: readonly Allowance[]): Allowance {
  const out: Allowance = {}
  for (const allowance of list) {
    for (const key of LISTS) if (allowance[key]) (out as Record<string, unknown[]>)[key] = union<unknown>(out[key], allowance[key])
    if (allowance.limits) out.limits = { ...out.limits, ...allowance.limits }
  }
  return out
}

/** A path as the options write it: relative to the project root when inside it. */
export function optionPath(p: string, root: string): string {
  const relative = path.relative(root, p)
  if (relative === '') return '.'
  return relative.startsWith('..') || path.isAbsolute(relative) ? p : relative
}

function seccompRule(rule: PolicyAllowRule | PolicyDenyRule): unknown {
  const deny = 'action' in rule
  const extra = deny
    ? { ...(rule.action !== 'errno' ? { action: rule.action } : {}), ...(rule.action === 'errno' && rule.errno !== 'EPERM' ? { errno: rule.errno } : {}) }
    : {}
  return rule.args.length === 0 && Object.keys(extra).length === 0 ? rule.syscall : { syscall: rule.syscall, ...extra, ...(rule.args.length ? { args: rule.args } : {}) }
}

/**
 * The file's seccomp option with `names` allowed on top: a rule's `seccomp` replaces the inherited one
 * whole, and a deny rule wins over an allow, so the user's deny rules for those names go.
 */
function seccompOption(policy: SeccompPolicy, names: readonly string[]): Rule['seccomp'] {
  const allowed = new Set(policy.allow.filter((r) => r.args.length === 0).map((r) => r.syscall))
  const deny = policy.deny.filter((r) => !names.includes(r.syscall))
  return {
    ...(policy.base === 'strict' ? { extends: 'strict' as const } : {}),
    ...(deny.length ? { deny: deny.map(seccompRule) as never } : {}),
    allow: [...policy.allow.map(seccompRule), ...names.filter((n) => !allowed.has(n))] as never,
  }
}

/** The `rules` entry that opens `allowance` for `file` (relative to `root`) on top of its `policy`. */
export function ruleFor(files: string, policy: Policy, root: string, allowance: Allowance): Rule {
  const rule: Rule = { files }
  const paths = (current: string[], extra: string[] = []) => union(current, extra).map((p) => optionPath(p, root))
  if (allowance.readonly?.length || allowance.writable?.length) {
    rule.fs = {
      ...(allowance.readonly?.length ? { readonly: paths(policy.fs.readonly, allowance.readonly) } : {}),
      ...(allowance.writable?.length ? { writable: paths(policy.fs.writable, allowance.writable) } : {}),
    }
  }
  if (allowance.forward?.length) rule.network = { forward: union(forwardEntries(policy), allowance.forward) }
  if (allowance.seccomp?.length && policy.seccomp) rule.seccomp = seccompOption(policy.seccomp, allowance.seccomp)
  if (allowance.env?.length) rule.env = { allow: union(policy.env.allow, allowance.env) }
  if (allowance.limits) rule.limits = { ...allowance.limits } as Rule['limits']
  return rule
}

export function isEmpty(allowance: Allowance): boolean {
  return !LISTS.some((key) => allowance[key]?.length) && !allowance.limits
}
