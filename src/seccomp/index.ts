/**
 * Seccomp filters for the sandbox: validate the option (pure), compile a policy to a BPF program
 * (libseccomp, loaded lazily — `seccomp: false` never loads it), describe it for logs.
 *
 * The program returned by compileSeccomp() is what bubblewrap reads from `--seccomp FD`.
 */
import { OptionError, SandboxUnavailableError } from '../policy/errors.js'
import { loadLibseccomp } from './libseccomp.js'
import { seccompArchProblem } from '../probe/fixes.js'
import { planFilter, SCMP_ACT_LOG, type FilterPlan, type PlannedAction, type SeccompArch } from './plan.js'
import { DEFAULT_DENY, STRICT_ALLOW } from './presets.js'
import type { SeccompPolicy } from './types.js'

export { validateSeccompOption, DEFAULT_POLICY } from './validate.js'
export { planFilter } from './plan.js'
export type { FilterPlan, PlannedRule, PlannedAction, SeccompArch, SyscallResolver } from './plan.js'
export type { SeccompOption, SeccompPolicy, SeccompRule } from './types.js'

/** The kernel's limit on one filter program (BPF_MAXINSNS); each instruction is 8 bytes. */
export const MAX_BPF_INSTRUCTIONS = 4096

const cache = new Map<string, Buffer>()

/**
 * Compiles a validated policy for the architecture this process runs on, once per distinct policy
 * (the result is cached by the policy's JSON). Returns a fresh copy of the BPF program.
 *
 * Throws OptionError naming the rule (`${option}.deny[0]`, …) for a system call libseccomp does not
 * know or comparisons it cannot express; SandboxUnavailableError when libseccomp is missing, too old
 * or the architecture is unsupported.
 */
export function compileSeccomp(policy: SeccompPolicy, option = 'seccomp', mode: 'enforce' | 'log' = 'enforce'): Buffer {
  const key = `${mode}:${JSON.stringify(policy)}`
  let program = cache.get(key)
  if (!program) {
    const lib = loadLibseccomp()
    const plan = seccompPlan(policy, option)
    program = lib.compile(mode === 'log' ? logging(plan) : plan)
    const instructions = program.length / 8
    if (instructions > MAX_BPF_INSTRUCTIONS) {
      throw new OptionError(option, describePolicy(policy), `a policy whose filter fits the kernel's ${MAX_BPF_INSTRUCTIONS}-instruction limit (this one compiles to ${instructions}); use fewer argument comparisons`)
    }
    cache.set(key, program)
  }
  return Buffer.from(program)
}

/** The libseccomp operations of a validated policy on this machine's architecture. */
export function seccompPlan(policy: SeccompPolicy, option = 'seccomp'): FilterPlan {
  const lib = loadLibseccomp()
  return planFilter(policy, hostArch(lib.nativeArch), lib.resolve, option)
}

/**
 * The same filter with every refusal (an errno, a kill, the default of 'strict') turned into
 * SCMP_ACT_LOG, for the audit's record mode: the call goes through, the kernel may log it, and the
 * tracer records it. A foreign ABI is still killed (an attribute, not a rule).
 */
function logging(plan: FilterPlan): FilterPlan {
  const log = (action: PlannedAction): PlannedAction => (action.kind === 'allow' ? action : { kind: 'log', value: SCMP_ACT_LOG })
  const defaultAction = log(plan.defaultAction)
  // libseccomp refuses a rule whose action is the default one ('strict': every refusal is now the default).
  const rules = plan.rules.map((rule) => ({ ...rule, action: log(rule.action) })).filter((rule) => rule.action.value !== defaultAction.value)
  return { ...plan, defaultAction, rules }
}

/** Forget compiled programs (tests, benchmarks). */
export function clearSeccompCache(): void {
  cache.clear()
}

function hostArch(native: SeccompArch | null): SeccompArch {
  const fromNode: Partial<Record<string, SeccompArch>> = { x64: 'x86_64', arm64: 'aarch64' }
  const arch = native ?? fromNode[process.arch]
  if (!arch) {
    const { why, fix } = seccompArchProblem(process.arch)
    throw new SandboxUnavailableError(`${why}; ${fix.join('; ')}`, why)
  }
  return arch
}

/** One line for logs, e.g. `seccomp strict (122 allowed, others EPERM) +deny socket(a0==0x10)→EACCES`. */
export function describePolicy(policy: SeccompPolicy | false): string {
  if (policy === false) return 'seccomp off'
  const base =
    policy.base === 'strict'
      ? `seccomp strict (${new Set(STRICT_ALLOW.map((e) => e.syscall)).size} system calls allowed, others EPERM)`
      : `seccomp default (${new Set(DEFAULT_DENY.filter((e) => e.answer !== 'allow').map((e) => e.syscall)).size} system calls denied or checked)`
  const parts = [base]
  for (const rule of policy.deny) {
    const answer = rule.action === 'errno' ? rule.errno : rule.action
    parts.push(`+deny ${rule.syscall}${args(rule.args)}→${answer}`)
  }
  for (const rule of policy.allow) parts.push(`+allow ${rule.syscall}${args(rule.args)}`)
  return parts.join(' ')
}

/** Argument comparisons as `(a0&mask==value,a1!=value)`; values print as given (hex strings, or bigints of the presets in hex). */
export function args(list: ReadonlyArray<{ index: number; op: string; value: string | bigint; mask?: string | bigint }>): string {
  if (list.length === 0) return ''
  const ops: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }
  const hex = (v: string | bigint | undefined) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)
  return `(${list.map((c) => (c.op === 'masked_eq' ? `a${c.index}&${hex(c.mask)}==${hex(c.value)}` : `a${c.index}${ops[c.op]}${hex(c.value)}`)).join(',')})`
}
