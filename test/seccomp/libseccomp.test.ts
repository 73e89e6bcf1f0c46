// The real libseccomp (through koffi), without a sandbox: loading, name resolution, compiling.
import { afterEach, describe, expect, test } from 'vitest'
import { OptionError, SandboxUnavailableError } from '../../src/policy/errors.js'
import { clearSeccompCache, compileSeccomp, planFilter, validateSeccompOption, MAX_BPF_INSTRUCTIONS } from '../../src/seccomp/index.js'
import { compareVersions, loadLibseccomp, openLibseccomp, resetLibseccompForTests, MIN_VERSION } from '../../src/seccomp/libseccomp.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'

const policy = (option: unknown) => validateSeccompOption(option, 'seccomp') as SeccompPolicy

/** struct sock_filter[] → { code, jt, jf, k }[] */
function instructions(program: Buffer) {
  return Array.from({ length: program.length / 8 }, (_, i) => ({
    code: program.readUInt16LE(i * 8),
    jt: program[i * 8 + 2]!,
    jf: program[i * 8 + 3]!,
    k: program.readUInt32LE(i * 8 + 4),
  }))
}
const BPF_LD_W_ABS = 0x20
const BPF_JMP_JEQ_K = 0x15
const BPF_JMP_JGE_K = 0x35
const BPF_RET_K = 0x06

afterEach(() => resetLibseccompForTests())

describe('libseccomp', () => {
  test('loads, is new enough, knows this architecture', () => {
    const lib = loadLibseccomp()
    expect(lib.version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(compareVersions(lib.version.split('.').map(Number), MIN_VERSION)).toBeGreaterThanOrEqual(0)
    expect(lib.nativeArch).toBe(process.arch === 'arm64' ? 'aarch64' : 'x86_64')
  })

  test('resolves names per architecture: number, absent (pseudo number) or unknown', () => {
    const { resolve } = loadLibseccomp()
    const x86 = resolve('getppid', 'x86_64')
    const arm = resolve('getppid', 'aarch64')
    expect(typeof x86).toBe('number')
    expect(typeof arm).toBe('number')
    expect(x86).not.toBe(arm) // the tables differ; nothing here hard-codes either
    expect(resolve('iopl', 'aarch64')).toBe('absent')
    expect(resolve('iopl', 'x86_64')).toEqual(expect.any(Number))
    expect(resolve('no_such_call', 'x86_64')).toBe('unknown')
  })

  test('a missing library is a SandboxUnavailableError that says how to install it', () => {
    const run = () => openLibseccomp(['/nonexistent/libseccomp.so.2'])
    expect(run).toThrow(SandboxUnavailableError)
    expect(run).toThrow(/libseccomp is not installed/)
    expect(run).toThrow(/apt-get install -y libseccomp2/)
    expect(run).toThrow(/dnf install -y libseccomp/)
    expect(run).toThrow(/seccomp: false/)
    // compileSeccomp passes the loader's error on.
    clearSeccompCache()
    resetLibseccompForTests(new SandboxUnavailableError('seccomp is enabled but libseccomp is not installed'))
    expect(() => compileSeccomp(policy('default'))).toThrow(SandboxUnavailableError)
  })

  test('version comparison', () => {
    expect(compareVersions([2, 3, 3], MIN_VERSION)).toBeLessThan(0)
    expect(compareVersions([2, 4, 0], MIN_VERSION)).toBe(0)
    expect(compareVersions([2, 5, 4], MIN_VERSION)).toBeGreaterThan(0)
  })
})

describe('compileSeccomp', () => {
  test('default and strict compile to BPF programs within the kernel limit', () => {
    clearSeccompCache()
    for (const p of [policy('default'), policy('strict')]) {
      const program = compileSeccomp(p)
      expect(program.length % 8).toBe(0)
      const insns = instructions(program)
      expect(insns.length).toBeGreaterThan(10)
      expect(insns.length).toBeLessThanOrEqual(MAX_BPF_INSTRUCTIONS)
      // First thing: load seccomp_data.arch (offset 4) and compare with the native token.
      expect(insns[0]).toMatchObject({ code: BPF_LD_W_ABS, k: 4 })
      expect(insns[1]).toMatchObject({ code: BPF_JMP_JEQ_K, k: process.arch === 'arm64' ? 0xc00000b7 : 0xc000003e })
      // Foreign architectures end in SECCOMP_RET_KILL_PROCESS (0x80000000).
      expect(insns.some((i) => i.code === BPF_RET_K && i.k === 0x80000000)).toBe(true)
    }
  })

  test.runIf(process.arch === 'x64')('x86_64: libseccomp rejects x32 numbers (>= 0x40000000) as a bad architecture', () => {
    const insns = instructions(compileSeccomp(policy('default')))
    // LD nr; JGE 0x40000000 → (unless nr == -1) the bad-architecture action, which we set to kill.
    expect(insns.some((i) => i.code === BPF_JMP_JGE_K && i.k === 0x40000000)).toBe(true)
  })

  test('cached per distinct policy: same bytes, fresh copies, much faster the second time', () => {
    clearSeccompCache()
    const p = policy({ extends: 'strict', deny: [{ syscall: 'socket', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }] })
    const t0 = performance.now()
    const first = compileSeccomp(p)
    const cold = performance.now() - t0
    const t1 = performance.now()
    const second = compileSeccomp(structuredClone(p))
    const warm = performance.now() - t1
    expect(second.equals(first)).toBe(true)
    expect(second).not.toBe(first)
    first.fill(0)
    expect(compileSeccomp(p).equals(second)).toBe(true)
    expect(warm).toBeLessThan(cold)
    expect(compileSeccomp(policy('strict')).equals(second)).toBe(false)
  })

  test('cross-compiles for aarch64 (the plan names the target architecture)', () => {
    const lib = loadLibseccomp()
    const program = lib.compile(planFilter(policy('strict'), 'aarch64', lib.resolve))
    expect(instructions(program)[1]).toMatchObject({ code: BPF_JMP_JEQ_K, k: 0xc00000b7 })
  })

  test('an unknown system call is an OptionError naming the rule', () => {
    const run = () => compileSeccomp(policy({ deny: ['ptrace', 'definitely_not_a_syscall'] }), 'rules[0].seccomp')
    expect(run).toThrow(OptionError)
    expect(run).toThrow(/`rules\[0\]\.seccomp\.deny\[1\]` is "definitely_not_a_syscall"/)
  })
})

test('a second copy of the module in one process loads libseccomp too (koffi type names are process-wide)', async () => {
  // As when Vite re-imports a config file on a watch-mode restart, or two copies of the package meet.
  const copy = (await import('../../src/seccomp/libseccomp.js?second-copy')) as typeof import('../../src/seccomp/libseccomp.js')
  const first = (await import('../../src/seccomp/libseccomp.js')).openLibseccomp()
  expect(copy.openLibseccomp().version).toBe(first.version)
})
