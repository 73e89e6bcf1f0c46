/**
 * What a `seccomp` option does, for users (exported from the package): the one-line summary the
 * pool's messages use, and on request every built-in row with the reason it is there. Pure: it
 * validates and reads the preset tables, and never loads libseccomp.
 */
import { args, describePolicy } from './index.js'
import { DEFAULT_DENY, STRICT_ALLOW, STRICT_ENOSYS, type PresetEntry } from './presets.js'
import { validateSeccompOption } from './validate.js'
import type { SeccompOption } from './types.js'

export interface DescribeSeccompOptions {
  /** Also list the built-in rows (system call, answer, reason), one line per group of calls. */
  rows?: boolean
}

/**
 * e.g. `describeSeccomp({ extends: 'strict', allow: ['ptrace'] }, { rows: true })`. Throws the
 * option's OptionError when it is not valid.
 */
export function describeSeccomp(option: SeccompOption = 'default', { rows = false }: DescribeSeccompOptions = {}): string {
  const policy = validateSeccompOption(option, 'seccomp')
  const summary = describePolicy(policy)
  if (!rows || policy === false) return summary
  const rest = (answer: PresetEntry['answer'], why: string): PresetEntry => ({ syscall: '(everything else)', answer, when: [], why })
  const table = policy.base === 'strict'
    ? [...STRICT_ALLOW, ...STRICT_ENOSYS, rest('EPERM', 'Not in the allowlist.')]
    : [...DEFAULT_DENY, rest('allow', 'Not in the denylist.')]
  return [summary, ...group(table).map(({ calls, answer, why }) => `  ${answer.padEnd(6)} ${calls.join(', ')}: ${why}`)].join('\n')
}

/** Consecutive entries with the same answer and reason were one row in the source table. */
function group(entries: readonly PresetEntry[]): Array<{ calls: string[]; answer: string; why: string }> {
  const out: Array<{ calls: string[]; answer: string; why: string }> = []
  for (const entry of entries) {
    const call = entry.syscall + (entry.when.length ? args(entry.when) : '')
    const last = out.at(-1)
    if (last && last.answer === entry.answer && last.why === entry.why) last.calls.push(call)
    else out.push({ calls: [call], answer: entry.answer, why: entry.why })
  }
  return out
}
