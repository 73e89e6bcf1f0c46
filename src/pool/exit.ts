/** Why a sandbox ended, in one message that names the test files. Pure. */
import { constants } from 'node:os'

export interface ExitFacts {
  files: string[]
  code: number | null
  signal: NodeJS.Signals | null
  /** What the sandbox's limits say (cgroup events, wall time), if anything. */
  reason: string | null
  /** Whether the worker had started; if not, bwrap's own stderr explains. */
  started: boolean
  stderr: string
}

const SIGNALS = Object.entries(constants.signals) as Array<[NodeJS.Signals, number]>

/** bwrap reports a worker killed by signal N as exit code 128 + N. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `was killed by ${signal}`
  if (code !== null && code > 128) {
    const name = SIGNALS.find(([, n]) => n === code - 128)?.[0]
    if (name) return `exited with code ${code} (${name})`
  }
  return `exited with code ${code}`
}

export function describeExit(facts: ExitFacts): string {
  const files = facts.files.join(', ')
  if (facts.reason) return `vitest-pool-nsjail: killed by the sandbox: ${facts.reason} — ${files}`
  if (!facts.started) {
    return `vitest-pool-nsjail: the sandbox for ${files} ${exitStatus(facts.code, facts.signal)} before the worker started.` +
      (facts.stderr.trim() ? `\n${facts.stderr.trim()}` : '')
  }
  return `vitest-pool-nsjail: the sandboxed worker running ${files} ${exitStatus(facts.code, facts.signal)}.`
}
