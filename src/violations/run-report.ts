/**
 * The run's account of the fences its files hit: the summary printed through Vitest's logger when the
 * run ends (nothing when nothing was hit), and the same as JSON for CI (the `report` option).
 */
import { isEmpty, mergeAllowances, ruleFor } from './allowance.js'
import { literal } from './literal.js'
import type { FenceKind, Violation } from './classify.js'
import type { Policy, Rule } from '../policy/types.js'

export interface FileKey {
  project: string
  root: string
  /** Relative to the root. */
  file: string
  policy: Policy
}

interface Entry extends FileKey {
  violations: Violation[]
}

export interface ReportJson {
  /** Every file that hit a fence, with what it hit and the rule that would have let it through. */
  files: Array<{ project: string; file: string; fences: Array<{ kind: FenceKind; what: string; note: string }>; rule: Rule | null }>
  /** The rules for all of them, per project, to add at the end of `rules`. */
  rules: Record<string, Rule[]>
}

export class RunReport {
  private entries = new Map<string, Entry>()

  add(key: FileKey, violation: Violation): void {
    const id = `${key.project}\0${key.root}\0${key.file}`
    let entry = this.entries.get(id)
    if (!entry) this.entries.set(id, (entry = { ...key, violations: [] }))
    if (!entry.violations.some((v) => v.note === violation.note)) entry.violations.push(violation)
  }

  /** A new run (watch mode) starts from nothing. */
  clear(): void {
    this.entries = new Map()
  }

  json(): ReportJson {
    const files = [...this.entries.values()].sort((a, b) => a.project.localeCompare(b.project) || a.file.localeCompare(b.file))
    const rules: Record<string, Rule[]> = {}
    const out = files.map((entry) => {
      const allowance = mergeAllowances(entry.violations.map((v) => v.allow))
      const rule = isEmpty(allowance) ? null : ruleFor(entry.file, entry.policy, entry.root, allowance)
      if (rule) (rules[entry.project] ??= []).push(rule)
      return { project: entry.project, file: entry.file, fences: entry.violations.map(({ kind, what, note }) => ({ kind, what, note })), rule }
    })
    return { files: out, rules }
  }

  /** The lines for Vitest's logger, or null when no file hit a fence. */
  summary(): string | null {
    const report = this.json()
    if (report.files.length === 0) return null
    const named = (project: string, file: string) => (project ? `${project} › ${file}` : file)
    const lines = [`vitest-pool-nsjail: ${report.files.length} test file${report.files.length === 1 ? '' : 's'} hit the sandbox's fences:`]
    for (const f of report.files) lines.push(`  ${named(f.project, f.file)}: ${f.fences.map((v) => `${v.what} (${v.kind})`).join('; ')}`)
    for (const [project, rules] of Object.entries(report.rules)) {
      lines.push(`To allow ${Object.keys(report.rules).length > 1 ? `those of ${project || 'the root project'}` : 'all of them'}, add to the end of \`rules\` in nsjail({ … }) (review first: each line opens a fence for one file):`)
      lines.push('  rules: [', ...rules.map((rule) => `    ${literal(rule)},`), '  ]')
    }
    return lines.join('\n')
  }
}
