/**
 * SeccompPolicy → FilterPlan: the exact libseccomp operations for one architecture. Pure: system
 * call names are resolved through the resolver passed in (libseccomp's in production, a fake one in
 * unit tests).
 *
 * Semantics, per system call, first match wins:
 *   1. the user's deny rules, in order;
 *   2. the user's allow rules (an allow lifts the built-in rows for that call, argument checks
 *      included; give it `args` to lift less);
 *   3. the built-in rows (presets.ts): 'default' rows, then for 'strict' its ENOSYS and allow rows;
 *   4. the default action: allow for 'default', EPERM for 'strict'.
 * libseccomp has no "first match": its rules for one call must not overlap when their actions
 * differ. So every entry is narrowed by the earlier entries with a different action
 * (`when AND NOT earlier`, see conditions.ts), and entries whose action is the default are dropped.
 */
import { OptionError } from '../policy/errors.js'
import { and, not, termOf, TooComplexError, type Cmp, type Dnf } from './conditions.js'
import { errnoNumber } from './constants.js'
import { DEFAULT_DENY, STRICT_ALLOW, STRICT_ENOSYS, type PresetEntry } from './presets.js'
import type { ArgOp, PolicyArgComparison, SeccompPolicy } from './types.js'

export type SeccompArch = 'x86_64' | 'aarch64'
export const SUPPORTED_ARCHES: readonly SeccompArch[] = ['x86_64', 'aarch64']

/**
 * A name → number resolver for one architecture: a number ≥ 0, `'absent'` when the name is a
 * system call libseccomp knows but this architecture lacks (libseccomp's negative pseudo numbers),
 * `'unknown'` when libseccomp does not know the name at all (__NR_SCMP_ERROR).
 */
export type SyscallResolver = (name: string, arch: SeccompArch) => number | 'absent' | 'unknown'

// libseccomp's constants (seccomp.h). Stable ABI since 2.4.
export const SCMP_ACT_KILL_PROCESS = 0x80000000
export const SCMP_ACT_LOG = 0x7ffc0000
export const SCMP_ACT_ALLOW = 0x7fff0000
export const SCMP_ACT_ERRNO = (errno: number) => (0x00050000 | (errno & 0xffff)) >>> 0
export const SCMP_CMP: Readonly<Record<ArgOp, number>> = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, masked_eq: 7 }
export const SCMP_FLTATR_ACT_BADARCH = 2
export const SCMP_FLTATR_CTL_OPTIMIZE = 8

/** Rules allowed for one system call before the policy is refused as too complex. */
export const MAX_RULES_PER_SYSCALL = 256

export type PlannedAction =
  | { kind: 'allow'; value: number }
  | { kind: 'errno'; errno: string; number: number; value: number }
  | { kind: 'kill'; value: number }
  | { kind: 'log'; value: number }

/** One scmp_arg_cmp: for masked_eq datumA is the mask and datumB the value, otherwise datumA is the value. */
export interface PlannedArg {
  index: number
  op: ArgOp
  opCode: number
  datumA: bigint
  datumB: bigint
}

/** One seccomp_rule_add_array() call. */
export interface PlannedRule {
  syscall: string
  nr: number
  action: PlannedAction
  args: PlannedArg[]
  /** Where the rule comes from: `deny[0]`, `allow[2]`, `default`, `strict`. */
  source: string
}

export interface PlannedAttribute {
  name: string
  attr: number
  value: number
  /** Optional attributes are skipped when this libseccomp refuses them. */
  required: boolean
}

export interface FilterPlan {
  arch: SeccompArch
  /** seccomp_init(defaultAction). */
  defaultAction: PlannedAction
  /** seccomp_attr_set() calls, in order. */
  attributes: PlannedAttribute[]
  /** seccomp_rule_add_array() calls, in order. */
  rules: PlannedRule[]
  /** Names left out: not on this architecture, or (built-in rows only) unknown to this libseccomp. */
  skipped: Array<{ syscall: string; reason: 'absent' | 'unknown'; source: string }>
}

const ALLOW: PlannedAction = { kind: 'allow', value: SCMP_ACT_ALLOW }
const KILL: PlannedAction = { kind: 'kill', value: SCMP_ACT_KILL_PROCESS }
const LOG: PlannedAction = { kind: 'log', value: SCMP_ACT_LOG }

export function errnoAction(errno: string): PlannedAction {
  const number = errnoNumber(errno)
  if (number === undefined) throw new Error(`unknown errno name ${errno}`)
  return { kind: 'errno', errno, number, value: SCMP_ACT_ERRNO(number) }
}

interface Entry {
  syscall: string
  action: PlannedAction
  when: Cmp[]
  source: string
  /** Option path for messages when the entry comes from the user. */
  path: string | null
}

export function planFilter(policy: SeccompPolicy, arch: SeccompArch, resolve: SyscallResolver, option = 'seccomp'): FilterPlan {
  if (!SUPPORTED_ARCHES.includes(arch)) throw new Error(`seccomp: unsupported architecture ${arch}`)
  const defaultAction = policy.base === 'strict' ? errnoAction('EPERM') : ALLOW

  const entries: Entry[] = [
    ...policy.deny.map((rule, i): Entry => ({
      syscall: rule.syscall,
      action: rule.action === 'kill' ? KILL : rule.action === 'log' ? LOG : errnoAction(rule.errno ?? 'EPERM'),
      when: rule.args.map(fromPolicy),
      source: `deny[${i}]`,
      path: `${option}.deny[${i}]`,
    })),
    ...policy.allow.map((rule, i): Entry => ({
      syscall: rule.syscall,
      action: ALLOW,
      when: rule.args.map(fromPolicy),
      source: `allow[${i}]`,
      path: `${option}.allow[${i}]`,
    })),
    ...DEFAULT_DENY.map((e) => fromPreset(e, 'default')),
    ...(policy.base === 'strict' ? [...STRICT_ENOSYS, ...STRICT_ALLOW].map((e) => fromPreset(e, 'strict')) : []),
  ]

  const bySyscall = new Map<string, Entry[]>()
  for (const entry of entries) {
    const list = bySyscall.get(entry.syscall)
    if (list) list.push(entry)
    else bySyscall.set(entry.syscall, [entry])
  }

  const rules: PlannedRule[] = []
  const skipped: FilterPlan['skipped'] = []
  for (const [syscall, list] of bySyscall) {
    const nr = resolve(syscall, arch)
    if (nr === 'unknown') {
      const user = list.find((e) => e.path !== null)
      if (user) {
        throw new OptionError(`${user.path}`, syscall, `a system call name known to libseccomp (it does not know "${syscall}" on ${arch}; check the spelling against \`man 2 syscalls\`, or update libseccomp for very new calls)`)
      }
      skipped.push({ syscall, reason: 'unknown', source: list[0]!.source })
      continue
    }
    if (nr === 'absent') {
      skipped.push({ syscall, reason: 'absent', source: list[0]!.source })
      continue
    }
    rules.push(...planSyscall(syscall, nr, list, defaultAction))
  }

  return {
    arch,
    defaultAction,
    attributes: [
      // x32 (x86_64 numbers with bit 30 set) and i386 (int 0x80) calls on x86_64, 32-bit arm calls on
      // aarch64: a filter for the native ABI only treats them as a foreign architecture; kill the
      // process instead of letting a 32-bit entry point slip around the rules.
      { name: 'SCMP_FLTATR_ACT_BADARCH', attr: SCMP_FLTATR_ACT_BADARCH, value: SCMP_ACT_KILL_PROCESS, required: true },
      // Binary search over syscall numbers instead of a linear chain (libseccomp >= 2.5).
      { name: 'SCMP_FLTATR_CTL_OPTIMIZE', attr: SCMP_FLTATR_CTL_OPTIMIZE, value: 2, required: false },
    ],
    rules,
    skipped,
  }
}

function planSyscall(syscall: string, nr: number, list: Entry[], defaultAction: PlannedAction): PlannedRule[] {
  const rules: PlannedRule[] = []
  const earlier: Array<{ action: PlannedAction; when: Dnf; negated?: Dnf }> = []
  for (const entry of list) {
    let own: Dnf
    try {
      own = termOf(entry.when, MAX_RULES_PER_SYSCALL)
      // Entries answering like the default action need no rule, only their place in the order.
      if (entry.action.value !== defaultAction.value) {
        let effective = own
        for (const e of earlier) {
          if (effective.length === 0) break
          if (e.action.value === entry.action.value) continue
          e.negated ??= not(e.when, MAX_RULES_PER_SYSCALL)
          effective = and(effective, e.negated, MAX_RULES_PER_SYSCALL)
        }
        for (const term of effective) {
          rules.push({ syscall, nr, action: entry.action, args: term.map(toPlannedArg), source: entry.source })
        }
      }
    } catch (error) {
      if (!(error instanceof TooComplexError)) throw error
      const users = [entry, ...list.filter((e) => e !== entry)].filter((e) => e.path !== null)
      const culprit = users[0]
      const message = `rules whose combination libseccomp can express in at most ${MAX_RULES_PER_SYSCALL} rules (${syscall}: ${error.message}); simplify the argument comparisons on ${syscall}, e.g. use masked_eq`
      if (culprit) throw new OptionError(culprit.path!, syscall, message)
      throw new Error(`seccomp: built-in rows for ${syscall} are too complex: ${error.message}`)
    }
    earlier.push({ action: entry.action, when: own })
    // An unconditional entry decides every remaining case.
    if (own.length === 1 && own[0]!.length === 0) break
  }
  if (rules.length > MAX_RULES_PER_SYSCALL) {
    const culprit = list.find((e) => e.path !== null)
    const message = `at most ${MAX_RULES_PER_SYSCALL} libseccomp rules per system call (${syscall} needs ${rules.length}); simplify its argument comparisons`
    if (culprit) throw new OptionError(culprit.path!, syscall, message)
    throw new Error(`seccomp: built-in rows for ${syscall} are too complex: ${message}`)
  }
  return rules
}

function fromPolicy(c: PolicyArgComparison): Cmp {
  return c.op === 'masked_eq'
    ? { index: c.index, op: c.op, value: BigInt(c.value), mask: BigInt(c.mask!) }
    : { index: c.index, op: c.op, value: BigInt(c.value) }
}

function fromPreset(e: PresetEntry, source: 'default' | 'strict'): Entry {
  const action = e.answer === 'allow' ? ALLOW : errnoAction(e.answer)
  return { syscall: e.syscall, action, when: e.when.map((c) => ({ ...c })), source, path: null }
}

function toPlannedArg(c: Cmp): PlannedArg {
  return c.op === 'masked_eq'
    ? { index: c.index, op: c.op, opCode: SCMP_CMP[c.op], datumA: c.mask!, datumB: c.value }
    : { index: c.index, op: c.op, opCode: SCMP_CMP[c.op], datumA: c.value, datumB: 0n }
}
