/**
 * How a compiled filter answers one system call with given arguments: the rules of its FilterPlan
 * (src/seccomp/plan.ts), evaluated as the kernel would, for the audit's traced calls. libseccomp's
 * rules for one call never overlap where their actions differ, so the first matching rule decides,
 * else the default action. Pure.
 */
import type { FilterPlan, PlannedAction, PlannedArg, PlannedRule } from '../seccomp/plan.js'

const MASK64 = (1n << 64n) - 1n

function holds(cmp: PlannedArg, args: readonly bigint[]): boolean {
  const value = (args[cmp.index] ?? 0n) & MASK64
  switch (cmp.op) {
    case 'eq': return value === cmp.datumA
    case 'ne': return value !== cmp.datumA
    case 'lt': return value < cmp.datumA
    case 'le': return value <= cmp.datumA
    case 'gt': return value > cmp.datumA
    case 'ge': return value >= cmp.datumA
    case 'masked_eq': return (value & cmp.datumA) === cmp.datumB
  }
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
