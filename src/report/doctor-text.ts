/**
 * `doctor`'s report as a table for people: each capability with its status, and under each one that
 * is missing or limited, the fix for this machine; then each project's policies and what of them is
 * not enforced here; then the verdict. Pure.
 */
import type { DoctorReport, ProjectReport } from './doctor.js'
import { problemText } from './problem.js'

const MARK: Record<string, string> = { ok: 'ok', limited: 'limited', missing: 'MISSING', unused: 'unused', unknown: '?' }

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd())
}

function machineLine(report: DoctorReport): string {
  const m = report.machine
  return [
    `${m.os} ${m.arch}`,
    m.kernel && `kernel ${m.kernel}`,
    m.distro,
    m.wsl && `WSL ${m.wsl}`,
    m.container && `in a ${m.container} container`,
    m.ci,
    `Node ${m.node}`,
    m.uid === 0 ? 'as root' : m.uid !== null ? `as uid ${m.uid}` : null,
  ].filter(Boolean).join(', ')
}

function projectLines(project: ProjectReport): string[] {
  const files = project.policies.reduce((n, p) => n + p.files, 0)
  const lines = [`  project ${project.name ? `"${project.name}"` : '(root)'} at ${project.root}: ${files} test file${files === 1 ? '' : 's'}, ${project.policies.length} polic${project.policies.length === 1 ? 'y' : 'ies'}${project.onUnsupported === 'warn' ? ", onUnsupported: 'warn'" : ''}`]
  for (const problem of project.problems) lines.push(`    PROBLEM: ${problem}`)
  for (const policy of project.policies) {
    lines.push(`    ${policy.rules.length ? policy.rules.join('+') : 'top level'} (${policy.files} file${policy.files === 1 ? '' : 's'}): ${policy.summary}`)
    for (const e of policy.enforcement) {
      if (e.state === 'not-enforced') lines.push(`      NOT enforced: ${e.facet}: ${e.note}`)
      else if (e.state === 'off') lines.push(`      off: ${e.facet} (${e.note})`)
    }
  }
  return lines
}

export function doctorText(report: DoctorReport): string {
  const lines = ['vitest-pool-nsjail doctor', '', `machine: ${machineLine(report)} (probed in ${report.probe.ms} ms)`, '']
  const rows = [['STATUS', 'CAPABILITY', 'DETAIL'], ...report.capabilities.map((c) => [MARK[c.status], c.label, c.detail])]
  table(rows).forEach((line, i) => {
    lines.push(`  ${line}`)
    const capability = report.capabilities[i - 1]
    if (!capability) return
    if (capability.cause) lines.push(`  ${' '.repeat(9)}cause: ${capability.cause}`)
    for (const fix of capability.fix) lines.push(`  ${' '.repeat(9)}fix: ${fix}`)
  })
  lines.push('', report.config.file ? `config: ${report.config.file}` : 'config: none found (the default options are checked)')
  if (report.config.projects.length === 0) lines.push('  no project uses the nsjail pool')
  for (const project of report.config.projects) lines.push(...projectLines(project))
  lines.push('')
  if (report.unsupported) {
    lines.push(`NOT SANDBOXABLE here: ${problemText(report.unsupported)}`)
    if (report.config.projects.some((p) => p.onUnsupported === 'warn')) lines.push("(`onUnsupported: 'warn'` projects would run unsandboxed in Vitest's forks pool)")
  } else {
    lines.push(report.ok ? 'verdict: everything the config asks for is enforced here.' : 'verdict: NOT everything the config asks for is enforced here (see above).')
  }
  return `${lines.join('\n')}\n`
}
