/**
 * `explain`'s text: the resolved policy of one test file, facet by facet (the same facets as the
 * banner), from the file's own launch plan, with what this machine does not enforce. Pure.
 */
import type { LaunchPlan } from '../isolate/plan.js'
import type { Rule } from '../policy/types.js'
import { FACETS, facetEnforcement, type FacetContext } from './facets.js'

export interface ExplainInput extends FacetContext {
  /** The file as the user named it. */
  file: string
  project: string
  /** The rules that matched, as `rules[i]`, in the order they apply. */
  rules: string[]
  plan: LaunchPlan
  /** Said above the policy, e.g. that the file is not one of the project's test files. */
  notes: string[]
  /** The compile cache the workers get (src/pool/compile-cache.ts): its folder, or why there is none. */
  compileCache: { dir: string } | { off: string }
}

const LABEL_WIDTH = 15

function ruleText(label: string, rules: Rule[] | undefined): string {
  const rule = rules?.[Number(/\d+/.exec(label)?.[0])]
  const files = rule ? [rule.files].flat().join(', ') : '?'
  return `${label} (files: ${files})`
}

export function explainText(input: ExplainInput): string {
  const lines = [`${input.file}  (project ${input.project ? `"${input.project}"` : '(root)'})`]
  for (const note of input.notes) lines.push(`  note: ${note}`)
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(LABEL_WIDTH)}${text}`)
  row('rules', input.rules.length ? input.rules.map((label) => ruleText(label, input.options.rules)).join('; ') : 'none match: the top-level options apply')
  for (const facet of FACETS) {
    const explained = facet.explain(input, input.plan)
    const enforcement = facetEnforcement(facet, input)
    explained.forEach(([label, text], i) => {
      const last = i === explained.length - 1
      const gap = last && enforcement?.state === 'not-enforced' ? `  [NOT enforced here: ${enforcement.note}]` : ''
      row(label, text + gap)
    })
  }
  row('compile cache', 'dir' in input.compileCache
    ? `${input.compileCache.dir}: read-only, written by the pool on the host (Vitest's worker runtime compiled once)`
    : `off: ${input.compileCache.off}`)
  return `${lines.join('\n')}\n`
}
