// Real enforcement: compiled programs loaded by bubblewrap (`--seccomp 9`), system calls made from
// inside through koffi's syscall(2), ordinary Node workloads and a real Vitest run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { compileSeccomp, validateSeccompOption } from '../../src/seccomp/index.js'
import { loadLibseccomp } from '../../src/seccomp/libseccomp.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'
import { bwrapWorks, cleanEnv, FIXTURES, makeVitestProject, runSandboxed } from './sandbox.js'

const available = bwrapWorks()
const compile = (option: unknown) => compileSeccomp(validateSeccompOption(option, 'seccomp') as SeccompPolicy)

// System call numbers for the probe, from libseccomp (for this architecture).
const PROBE_CALLS = ['getppid', 'getpid', 'exit_group', 'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'clone', 'clone3', 'io_uring_setup',
  'ptrace', 'process_vm_readv', 'bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'add_key', 'syslog', 'kexec_load', 'init_module', 'reboot',
  'swapon', 'acct', 'open_by_handle_at', 'iopl', 'settimeofday', 'clock_settime', 'adjtimex', 'personality', 'ioctl', 'socket', 'mknodat', 'close_range']

type Outcome = { ret: number | string; errno: string | null } | { skipped: string }

async function probe(program: Buffer | null, checks: string[] = []): Promise<{ code: number | null; results: Record<string, Outcome>; stderr: string }> {
  const lib = loadLibseccomp()
  const arch = lib.nativeArch!
  const nrs = Object.fromEntries(PROBE_CALLS.map((n) => [n, lib.resolve(n, arch)]).filter(([, v]) => typeof v === 'number'))
  const r = await runSandboxed(program, [process.execPath, path.join(FIXTURES, 'probe.mjs'), ...checks], { env: cleanEnv({ PROBE_NRS: JSON.stringify(nrs) }) })
  return { code: r.code, results: r.stdout ? JSON.parse(r.stdout) : {}, stderr: r.stderr }
}

const denied = (errno: string) => ({ ret: -1, errno })
const OK = { ret: 'ok', errno: null }

/** What 'default' must answer (iopl only exists on x86). */
const DEFAULT_EXPECTED: Record<string, Outcome> = {
  getppid: OK,
  unshare_user: denied('EPERM'),
  unshare_net: denied('EPERM'),
  setns: denied('EPERM'),
  mount: denied('EPERM'),
  umount2: denied('EPERM'),
  pivot_root: denied('EPERM'),
  clone_newuser: denied('EPERM'),
  clone_newns: denied('EPERM'),
  clone3: denied('ENOSYS'),
  io_uring_setup: denied('ENOSYS'),
  ptrace: denied('EPERM'),
  process_vm_readv: denied('EPERM'),
  bpf: denied('EPERM'),
  perf_event_open: denied('EPERM'),
  userfaultfd: denied('EPERM'),
  keyctl: denied('EPERM'),
  add_key: denied('EPERM'),
  syslog: denied('EPERM'),
  kexec_load: denied('EPERM'),
  init_module: denied('EPERM'),
  reboot: denied('EPERM'),
  swapon: denied('EPERM'),
  acct: denied('EPERM'),
  open_by_handle_at: denied('EPERM'),
  ...(process.arch === 'x64' ? { iopl: denied('EPERM') } : {}),
  settimeofday: denied('EPERM'),
  clock_settime: denied('EPERM'),
  adjtimex: denied('EPERM'),
  personality_query: OK,
  personality_no_aslr: denied('EPERM'),
  personality_no_aslr_hi: denied('EPERM'),
  ioctl_tiocsti: denied('EPERM'),
  socket_vsock: denied('EPERM'),
  socket_netlink: OK,
  socket_inet: OK,
  socket_inet6: OK,
  spawn_true: OK, // clone without namespace flags (fork/vfork) and exec still work
  seccomp_status: { ret: '2', errno: null }, // children inherit the filter
}

describe.skipIf(!available)('seccomp enforced by bubblewrap', () => {
  test('without a filter the sandbox itself allows what the filter refuses (control)', async () => {
    const { code, results } = await probe(null, ['clone3', 'personality_no_aslr', 'adjtimex', 'seccomp_status'])
    expect(code).toBe(0)
    expect(results).toEqual({
      clone3: denied('EINVAL'), // reached the kernel, which disliked size 0
      personality_no_aslr: OK,
      adjtimex: OK, // modes 0: a read
      seccomp_status: { ret: '0', errno: null },
    })
  })

  test("'default' answers every listed call with its errno and leaves the rest alone", async () => {
    const { code, results, stderr } = await probe(compile('default'), Object.keys(DEFAULT_EXPECTED))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(results).toEqual(DEFAULT_EXPECTED)
  })

  test("'strict' does the same, plus EPERM for unlisted calls and ENOSYS for fallback ones", async () => {
    const checks = [...Object.keys(DEFAULT_EXPECTED), 'mknodat', 'close_range', 'socket_packet']
    const { code, results } = await probe(compile('strict'), checks)
    expect(code).toBe(0)
    expect(results).toEqual({ ...DEFAULT_EXPECTED, mknodat: denied('EPERM'), close_range: denied('ENOSYS'), socket_packet: denied('EPERM') })
  })

  test.runIf(process.arch === 'x64')('an x32 system call (nr | 0x40000000) kills the process (SIGSYS → exit 159 through bwrap)', async () => {
    const filtered = await probe(compile('default'), ['x32'])
    expect(filtered.code).toBe(128 + os.constants.signals.SIGSYS)
    expect(filtered.results).toEqual({})
    const strict = await probe(compile('strict'), ['x32'])
    expect(strict.code).toBe(128 + os.constants.signals.SIGSYS)
    // Control: without a filter the call just fails (x32 is off in most kernels) or succeeds.
    const bare = await probe(null, ['x32'])
    expect(bare.code).toBe(0)
  })

  test.runIf(process.arch === 'x64')('an i386 system call (int 0x80) kills the process too', async () => {
    const filtered = await probe(compile('default'), ['i386'])
    expect(filtered.code).toBe(128 + os.constants.signals.SIGSYS)
    // Control: without a filter, i386 getpid answers our pid (kernels built without IA32 emulation
    // answer int 0x80 with SIGSEGV instead).
    const bare = await probe(null, ['i386'])
    if (bare.code === 0) expect(bare.results).toEqual({ i386: { ret: 'pid', errno: null } })
    else expect(bare.code).toBe(128 + os.constants.signals.SIGSEGV)
  })

  const netlink = { syscall: 'socket', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }
  for (const base of ['default', 'strict'] as const) {
    test(`a custom deny rule with an argument comparison blocks only what it names (${base})`, async () => {
      const { code, results } = await probe(compile({ extends: base, deny: [netlink] }), ['socket_netlink', 'socket_inet', 'socket_inet6', 'getppid'])
      expect(code).toBe(0)
      expect(results).toEqual({ socket_netlink: denied('EACCES'), socket_inet: OK, socket_inet6: OK, getppid: OK })
    })
  }

  test('a user allow rule lifts a built-in row', async () => {
    const { results } = await probe(compile({ allow: ['personality'] }), ['personality_no_aslr', 'mount'])
    expect(results).toEqual({ personality_no_aslr: OK, mount: denied('EPERM') })
  })

  const nodes: Array<[string, string]> = [[`node ${process.version}`, process.execPath]]
  // Optionally also Node 22 (e.g. `npm i node@22` in a scratch folder): SECCOMP_TEST_NODE22=/path/to/node
  if (process.env.SECCOMP_TEST_NODE22) nodes.push(['node 22', process.env.SECCOMP_TEST_NODE22])

  for (const [label, node] of nodes) {
    for (const base of ['default', 'strict'] as const) {
      test(`a realistic Node workload runs green under '${base}' (${label})`, async () => {
        const binds = node.startsWith('/tmp/') ? [path.dirname(path.dirname(node))] : []
        const r = await runSandboxed(compile(base), [node, path.join(FIXTURES, 'workload.mjs')], { binds })
        expect(r.stderr).toBe('')
        const result = JSON.parse(r.stdout)
        expect(result.checks).toEqual({
          timers: true, worker_threads: true, child_process: true, fs: true, 'fs.watch': true, http: true,
          'dns.localhost': true, 'unix+udp': true, crypto: true, zlib: true, 'os+process': true,
        })
        expect(r.code).toBe(0)
      })
    }
  }

  describe("a real Vitest run under 'strict'", () => {
    let dir: string
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-vitest-'))
      makeVitestProject(dir)
    })
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

    test('npx vitest run (main process and forks workers, all inside the filter) passes', async () => {
      const r = await runSandboxed(compile('strict'), [process.execPath, 'node_modules/vitest/vitest.mjs', 'run', '--reporter=verbose'], {
        binds: [dir],
        cwd: dir,
        env: cleanEnv({ NO_COLOR: '1' }),
        timeoutMs: 110_000,
      })
      expect(r.stdout).toMatch(/Tests\s+3 passed \(3\)/)
      expect(r.stdout).toContain('node workload')
      expect(r.code).toBe(0)
    })
  })
})
