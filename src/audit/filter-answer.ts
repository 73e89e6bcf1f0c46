/**
 * How a compiled filter answers one system call with given arguments: the rules of its FilterPlan
 * (src/seccomp/plan.ts), evaluated as the kernel would, for the audit's traced calls. libseccomp's
 * rules for one call never overlap where their actions differ, so the first matching rule decides,
 * else the default action. Pure.
 */
import { test } from '../seccomp/conditions.js'
import { U64_MAX } from '../seccomp/constants.js'
import type { FilterPlan, PlannedAction, PlannedArg, PlannedRule } from '../seccomp/plan.js'

/** One libseccomp comparison (for masked_eq datumA is the mask) on the call's raw argument. */
function holds(cmp: PlannedArg, args: readonly bigint[]): boolean {
  const value = (args[cmp.index] ?? 0n) & U64_MAX
  return cmp.op === 'masked_eq'
    ? test({ index: cmp.index, op: cmp.op, value: cmp.datumB, mask: cmp.datumA }, value)
    : test({ index: cmp.index, op: cmp.op, value: cmp.datumA }, value)
}

/** An errno name, 'kill', or null for a call that goes through. */
function answerOf(action: PlannedAction): string | null {
  return action.kind === 'errno' ? action.errno : action.kind === 'kill' ? 'kill' : null
}

export interface FilterAnswers {
  /** The calls the filter may refuse, and those of them whose answer depends on their arguments. */
  refused: string[]
  conditional: string[]
  answer(name: string, args: readonly bigint[]): string | null
}

export function filterAnswers(plan: FilterPlan): FilterAnswers {
  const byName = new Map<string, PlannedRule[]>()
  for (const rule of plan.rules) byName.set(rule.syscall, [...(byName.get(rule.syscall) ?? []), rule])
  const refuses = plan.defaultAction.kind !== 'allow'
  return {
    refused: [...byName].filter(([, rules]) => rules.some((r) => answerOf(r.action) !== null)).map(([name]) => name),
    conditional: [...byName].filter(([, rules]) => rules.some((r) => r.args.length > 0)).map(([name]) => name),
    answer(name, args) {
      const rules = byName.get(name)
      if (!rules) return refuses ? answerOf(plan.defaultAction) : null
      const match = rules.find((rule) => rule.args.every((cmp) => holds(cmp, args)))
      return answerOf(match ? match.action : plan.defaultAction)
    },
  }
}
