// The planner with a fake resolver: what libseccomp operations a policy becomes, and — simulating
// libseccomp's matching — what each system call then answers.
import os from 'node:os'
import { describe, expect, test } from 'vitest'
import { OptionError } from '../../src/policy/errors.js'
import { planFilter, validateSeccompOption, type FilterPlan, type SyscallResolver } from '../../src/seccomp/index.js'
import { SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG, MAX_RULES_PER_SYSCALL } from '../../src/seccomp/plan.js'
import { DEFAULT_DENY, STRICT_ALLOW, STRICT_ENOSYS } from '../../src/seccomp/presets.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'
import { holds } from './oracle.js'

const E = os.constants.errno
const EPERM = SCMP_ACT_ERRNO(E.EPERM)
const ENOSYS = SCMP_ACT_ERRNO(E.ENOSYS)
const EACCES = SCMP_ACT_ERRNO(E.EACCES)

// Fake numbers: every name the tables mention, plus a few for user rules. Some exist only on x86_64,
// one is unknown to this "libseccomp".
const NAMES = [...new Set([...DEFAULT_DENY, ...STRICT_ENOSYS, ...STRICT_ALLOW].map((e) => e.syscall).concat(['mknodat', 'openat', 'getppid']))].sort()
const X86_ONLY = new Set(['iopl', 'ioperm', 'vfork', 'arch_prctl', 'open', 'umount'])
const UNKNOWN = new Set(['mseal'])
const fake: SyscallResolver = (name, arch) => {
  if (UNKNOWN.has(name) || !NAMES.includes(name)) return 'unknown'
  if (name === 'umount' || (arch === 'aarch64' && X86_ONLY.has(name))) return 'absent'
  return NAMES.indexOf(name) + (arch === 'x86_64' ? 1000 : 2000)
}

const policy = (option: unknown): SeccompPolicy => validateSeccompOption(option, 'seccomp') as SeccompPolicy

/** What a call answers under the plan, the way the BPF program decides; fails if rules with different actions overlap. */
function decide(plan: FilterPlan, syscall: string, args: bigint[] = []): number {
  const matching = plan.rules.filter(
    (r) =>
      r.syscall === syscall &&
      // libseccomp's masked_eq takes the mask in datum A and the value in datum B.
      r.args.every((a) => a.op === 'masked_eq' ? holds(a.op, args[a.index] ?? 0n, a.datumB, a.datumA) : holds(a.op, args[a.index] ?? 0n, a.datumA)),
  )
  const actions = new Set(matching.map((r) => r.action.value))
  if (actions.size > 1) throw new Error(`overlapping rules with different actions for ${syscall}(${args})`)
  return matching.length ? matching[0]!.action.value : plan.defaultAction.value
}

const NEWUSER = 0x10000000n
const NEWNS = 0x20000n
const SIGCHLD = 17n

describe('planFilter: default', () => {
  const plan = planFilter(policy('default'), 'x86_64', fake)

  test('allows by default, kills foreign ABIs, asks for the binary tree', () => {
    expect(plan.defaultAction).toEqual({ kind: 'allow', value: SCMP_ACT_ALLOW })
    expect(plan.attributes).toEqual([
      { name: 'SCMP_FLTATR_ACT_BADARCH', attr: 2, value: SCMP_ACT_KILL_PROCESS, required: true },
      { name: 'SCMP_FLTATR_CTL_OPTIMIZE', attr: 8, value: 2, required: false },
    ])
  })

  test('the issue\'s list answers EPERM, clone3 and io_uring ENOSYS', () => {
    for (const name of ['mount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'unshare', 'setns',
      'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'add_key',
      'request_key', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct',
      'quotactl', 'open_by_handle_at', 'name_to_handle_at', 'iopl', 'ioperm', 'settimeofday', 'clock_settime', 'adjtimex', 'syslog']) {
      expect([name, decide(plan, name)]).toEqual([name, EPERM])
    }
    expect(decide(plan, 'clone3')).toBe(ENOSYS)
    expect(decide(plan, 'io_uring_setup')).toBe(ENOSYS)
    expect(decide(plan, 'read')).toBe(SCMP_ACT_ALLOW)
  })

  test('the exact operations for a plain entry: one rule, resolved number, errno value', () => {
    expect(plan.rules.filter((r) => r.syscall === 'mount')).toEqual([
      { syscall: 'mount', nr: fake('mount', 'x86_64'), action: { kind: 'errno', errno: 'EPERM', number: E.EPERM, value: EPERM }, args: [], source: 'default' },
    ])
  })

  test('clone: one masked_eq rule per namespace flag; plain fork/thread clones pass', () => {
    const clone = plan.rules.filter((r) => r.syscall === 'clone')
    expect(clone).toHaveLength(7)
    expect(clone.map((r) => r.args)).toContainEqual([{ index: 0, op: 'masked_eq', opCode: 7, datumA: NEWUSER, datumB: NEWUSER }])
    expect(decide(plan, 'clone', [NEWUSER | SIGCHLD])).toBe(EPERM)
    expect(decide(plan, 'clone', [NEWNS | NEWUSER])).toBe(EPERM)
    expect(decide(plan, 'clone', [0x1200000n | SIGCHLD])).toBe(SCMP_ACT_ALLOW) // fork
    expect(decide(plan, 'clone', [0x3d0f00n])).toBe(SCMP_ACT_ALLOW) // pthread_create
  })

  test('personality: the query and safe personas pass, ASLR/W^X-weakening flags do not', () => {
    expect(decide(plan, 'personality', [0xffffffffn])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'personality', [0n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'personality', [8n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'personality', [0x40000n])).toBe(EPERM) // ADDR_NO_RANDOMIZE
    expect(decide(plan, 'personality', [0xfffffffen])).toBe(EPERM) // every flag, but not the query
    expect(decide(plan, 'personality', [0x400000n])).toBe(EPERM) // READ_IMPLIES_EXEC
  })

  test('ioctl(TIOCSTI) and socket(AF_VSOCK) are refused on their low 32 bits', () => {
    expect(decide(plan, 'ioctl', [0n, 0x5412n])).toBe(EPERM)
    expect(decide(plan, 'ioctl', [0n, 0xdead_0000_5412n])).toBe(EPERM)
    expect(decide(plan, 'ioctl', [0n, 0x5401n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'socket', [40n])).toBe(EPERM)
    expect(decide(plan, 'socket', [2n])).toBe(SCMP_ACT_ALLOW)
  })

  test('names absent on the architecture are skipped, not errors; so are built-in names this libseccomp lacks', () => {
    const arm = planFilter(policy('default'), 'aarch64', fake)
    expect(arm.skipped).toEqual(expect.arrayContaining([{ syscall: 'iopl', reason: 'absent', source: 'default' }, { syscall: 'ioperm', reason: 'absent', source: 'default' }]))
    expect(arm.rules.some((r) => r.syscall === 'iopl')).toBe(false)
    expect(plan.rules.some((r) => r.syscall === 'iopl')).toBe(true)
    const strict = planFilter(policy('strict'), 'x86_64', fake)
    expect(strict.skipped).toContainEqual({ syscall: 'mseal', reason: 'unknown', source: 'strict' })
  })
})

describe('planFilter: strict', () => {
  const plan = planFilter(policy('strict'), 'x86_64', fake)

  test('EPERM by default; listed calls allowed; fallback calls ENOSYS', () => {
    expect(plan.defaultAction.value).toBe(EPERM)
    expect(decide(plan, 'read')).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'mknodat')).toBe(EPERM)
    expect(decide(plan, 'close_range')).toBe(ENOSYS)
    expect(decide(plan, 'clone3')).toBe(ENOSYS)
    expect(decide(plan, 'io_uring_setup')).toBe(ENOSYS)
    // Default-table entries that answer EPERM need no rule at all under strict.
    expect(plan.rules.some((r) => r.syscall === 'mount' || r.syscall === 'ptrace')).toBe(false)
  })

  test('clone keeps the namespace check: one allow rule, masked_eq(all namespace flags) == 0', () => {
    expect(plan.rules.filter((r) => r.syscall === 'clone')).toEqual([
      { syscall: 'clone', nr: fake('clone', 'x86_64'), action: { kind: 'allow', value: SCMP_ACT_ALLOW }, args: [{ index: 0, op: 'masked_eq', opCode: 7, datumA: 0x7e020000n, datumB: 0n }], source: 'strict' },
    ])
    expect(decide(plan, 'clone', [NEWUSER | SIGCHLD])).toBe(EPERM)
    expect(decide(plan, 'clone', [0x1200000n | SIGCHLD])).toBe(SCMP_ACT_ALLOW)
  })

  test('socket: only the families Node uses; ioctl: all but TIOCSTI/TIOCLINUX', () => {
    for (const [family, answer] of [[1n, SCMP_ACT_ALLOW], [2n, SCMP_ACT_ALLOW], [10n, SCMP_ACT_ALLOW], [16n, SCMP_ACT_ALLOW], [17n, EPERM], [40n, EPERM]] as const) {
      expect([family, decide(plan, 'socket', [family])]).toEqual([family, answer])
    }
    expect(decide(plan, 'ioctl', [1n, 0x5401n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'ioctl', [1n, 0x5412n])).toBe(EPERM)
    expect(decide(plan, 'ioctl', [1n, 0x541cn])).toBe(EPERM)
  })

  test('aarch64 skips the x86-only names', () => {
    const arm = planFilter(policy('strict'), 'aarch64', fake)
    expect(arm.skipped.filter((s) => s.reason === 'absent').map((s) => s.syscall)).toEqual(expect.arrayContaining(['vfork', 'arch_prctl', 'open']))
  })
})

describe('planFilter: user rules', () => {
  const netlinkDeny = { syscall: 'socket', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }

  test('default + deny socket(AF_NETLINK): one rule, with the comparison as libseccomp takes it', () => {
    const plan = planFilter(policy({ deny: [netlinkDeny] }), 'x86_64', fake)
    expect(plan.rules.filter((r) => r.source === 'deny[0]')).toEqual([
      { syscall: 'socket', nr: fake('socket', 'x86_64'), action: { kind: 'errno', errno: 'EACCES', number: E.EACCES, value: EACCES }, args: [{ index: 0, op: 'eq', opCode: 4, datumA: 16n, datumB: 0n }], source: 'deny[0]' },
    ])
    expect(decide(plan, 'socket', [16n])).toBe(EACCES)
    expect(decide(plan, 'socket', [2n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'socket', [40n])).toBe(EPERM)
  })

  test('strict + deny socket(AF_NETLINK): the allow rules are narrowed so nothing overlaps', () => {
    const plan = planFilter(policy({ extends: 'strict', deny: [netlinkDeny] }), 'x86_64', fake)
    expect(decide(plan, 'socket', [16n])).toBe(EACCES)
    expect(decide(plan, 'socket', [2n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'socket', [17n])).toBe(EPERM)
  })

  test('deny beats allow; allow lifts a built-in row (argument checks included)', () => {
    const plan = planFilter(policy({ deny: ['getppid'], allow: ['getppid', 'ptrace', 'clone'] }), 'x86_64', fake)
    expect(decide(plan, 'getppid')).toBe(EPERM)
    expect(decide(plan, 'ptrace')).toBe(SCMP_ACT_ALLOW)
    expect(decide(plan, 'clone', [NEWUSER])).toBe(SCMP_ACT_ALLOW)
    const strict = planFilter(policy({ extends: 'strict', allow: ['mknodat', { syscall: 'ptrace', args: [{ index: 0, op: 'eq', value: 0 }] }] }), 'x86_64', fake)
    expect(decide(strict, 'mknodat')).toBe(SCMP_ACT_ALLOW)
    expect(decide(strict, 'ptrace', [0n])).toBe(SCMP_ACT_ALLOW)
    expect(decide(strict, 'ptrace', [16n])).toBe(EPERM)
  })

  test('kill and log actions', () => {
    const plan = planFilter(policy({ deny: [{ syscall: 'mknodat', action: 'kill' }, { syscall: 'openat', action: 'log', args: [{ index: 2, op: 'masked_eq', mask: 0o100, value: 0o100 }] }] }), 'x86_64', fake)
    expect(decide(plan, 'mknodat')).toBe(SCMP_ACT_KILL_PROCESS)
    expect(decide(plan, 'openat', [0n, 0n, 0o101n])).toBe(SCMP_ACT_LOG)
    expect(decide(plan, 'openat', [0n, 0n, 0n])).toBe(SCMP_ACT_ALLOW)
  })

  test('a range on one argument becomes several rules', () => {
    const plan = planFilter(policy({ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'ge', value: 38 }, { index: 0, op: 'le', value: 41 }] }] }), 'x86_64', fake)
    for (let f = 30n; f < 50n; f++) expect([f, decide(plan, 'socket', [f])]).toEqual([f, f >= 38n && f <= 41n ? EPERM : SCMP_ACT_ALLOW])
  })

  test('an unknown system call name is an OptionError naming the rule', () => {
    const run = () => planFilter(policy({ deny: ['ptrace', 'ptrase'] }), 'x86_64', fake, 'rules[1].seccomp')
    expect(run).toThrow(OptionError)
    expect(run).toThrow(/`rules\[1\]\.seccomp\.deny\[1\]` is "ptrase"; expected a system call name known to libseccomp/)
    expect(() => planFilter(policy({ allow: ['mseal'] }), 'x86_64', fake, 'seccomp')).toThrow(/`seccomp\.allow\[0\]` is "mseal"/)
  })

  test('user rules for a call absent on the architecture are skipped there', () => {
    const plan = planFilter(policy({ deny: ['iopl'] }), 'aarch64', fake)
    expect(plan.skipped).toContainEqual({ syscall: 'iopl', reason: 'absent', source: 'deny[0]' })
  })

  test(`a combination needing more than ${MAX_RULES_PER_SYSCALL} rules is an OptionError naming the rule`, () => {
    // "arg & ~1 == 0" negates into 63 single-bit rules; three such rules with three different actions need 63 × 63.
    const even = (index: number) => [{ index, op: 'masked_eq', mask: '0xfffffffffffffffe', value: 0 }]
    const deny = [
      { syscall: 'socket', errno: 'EACCES', args: even(0) },
      { syscall: 'socket', errno: 'EPERM', args: even(1) },
      { syscall: 'socket', action: 'kill', args: even(2) },
    ]
    const run = () => planFilter(policy({ deny }), 'x86_64', fake)
    expect(run).toThrow(OptionError)
    expect(run).toThrow(/`seccomp\.deny\[2\]` is "socket"; expected rules whose combination libseccomp can express/)
  })
})
