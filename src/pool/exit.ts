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

/** bwrap's exit code for a worker killed with SIGSYS: the seccomp filter's `kill` action. */
const SECCOMP_KILL = 128 + constants.signals.SIGSYS

/** The worker died of the seccomp filter's `kill` (and no limit explains the end). */
export function isSeccompKill(facts: Pick<ExitFacts, 'code' | 'signal' | 'reason'>): boolean {
  return facts.reason === null && (facts.code === SECCOMP_KILL || facts.signal === 'SIGSYS')
}

export function describeExit(facts: ExitFacts): string {
  // A sandbox launched ahead of need (a spare) has no file until it is handed one.
  const files = facts.files.join(', ') || '(no test file yet)'
  const reason = facts.reason ??
    (isSeccompKill(facts)
      ? 'the seccomp filter killed the worker (SIGSYS): it made a system call the policy kills for, a 32-bit ABI call or a rule with action \'kill\''
      : null)
  if (reason) return `vitest-pool-nsjail: killed by the sandbox: ${reason} — ${files}`
  if (!facts.started) {
    return `vitest-pool-nsjail: the sandbox for ${files} ${exitStatus(facts.code, facts.signal)} before the worker started.` +
      (facts.stderr.trim() ? `\n${facts.stderr.trim()}` : '')
  }
  return `vitest-pool-nsjail: the sandboxed worker running ${files} ${exitStatus(facts.code, facts.signal)}.`
}
