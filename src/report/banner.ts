/**
 * The start banner: what the sandbox enforces in this run, one line per distinct policy at most,
 * from the same facets `explain` uses, with a `NOT enforced: …` part where the machine falls short.
 * Pure.
 */
import type { Unsupported } from '../probe/diagnose.js'
import type { MachineProbe } from '../probe/types.js'
import type { NsjailOptions, Policy } from '../policy/types.js'
import { briefsOf, enforcementOf } from './facets.js'

/** The files of one project that share one policy. */
export interface PolicyGroup {
  /** Project name ('' for the root project). */
  project: string
  root: string
  options: NsjailOptions
  policy: Policy
  /** The rules that shaped it (none: the top-level options). */
  rules: string[]
  files: number
}

export const BANNER_PREFIX = 'nsjail '

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

function notEnforced(probe: MachineProbe, group: PolicyGroup): string {
  const gaps = enforcementOf({ ...group, probe }).filter((e) => e.state === 'not-enforced')
  return gaps.length ? `NOT enforced: ${gaps.map((e) => `${e.facet} (${e.note})`).join(', ')}` : ''
}

export function bannerLines(probe: MachineProbe, groups: PolicyGroup[]): string[] {
  const lines: string[] = []
  const projects = [...new Set(groups.map((g) => g.project))]
  for (const project of projects) {
    const mine = groups.filter((g) => g.project === project)
    // The top-level policy is the baseline; without files of its own, the largest group is.
    const base = mine.find((g) => g.rules.length === 0) ?? [...mine].sort((a, b) => b.files - a.files)[0]
    const label = projects.length > 1 ? `[${project || 'root'}] ` : ''
    const total = mine.reduce((n, g) => n + g.files, 0)
    const withRules = mine.filter((g) => g.rules.length > 0).reduce((n, g) => n + g.files, 0)
    const briefs = (group: PolicyGroup) => briefsOf({ ...group, probe })
    const baseBriefs = briefs(base)
    lines.push([
      `${BANNER_PREFIX} ${label}${baseBriefs.join(' · ')}`,
      `${plural(total, 'file')}${withRules ? `, ${withRules} with rules` : ''}`,
      notEnforced(probe, base),
    ].filter(Boolean).join(' · '))
    for (const group of mine) {
      if (group === base) continue
      const differs = briefs(group).filter((brief) => !baseBriefs.includes(brief))
      const name = group.rules.length ? group.rules.join('+') : 'top level'
      lines.push([
        `${BANNER_PREFIX} ${label}${name} (${plural(group.files, 'file')}): ${differs.join(' · ') || 'same as above'}`,
        notEnforced(probe, group),
      ].filter(Boolean).join(' · '))
    }
  }
  return lines
}

/** The banner of a run that fell back to Vitest's forks pool (`onUnsupported: 'warn'`). */
export function unsandboxedBanner(problem: Unsupported, files: number): string {
  return `${BANNER_PREFIX} NOT sandboxed: ${problem.what.split('\n')[0]} · ${plural(files, 'file')} run in Vitest's forks pool`
}
