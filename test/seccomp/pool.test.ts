/**
 * Seccomp end to end, through the real pool: fixtures/seccomp's tests make the denied system calls
 * for real from inside their sandboxes (koffi → syscall(2), util-linux unshare) and assert the errno;
 * a realistic workload runs green under 'default' and 'strict'; a custom argument rule blocks only
 * what it names; a per-file rule turns the filter off for one folder. One Vitest run covers all of
 * it (a policy per folder); a filter-less control run shows the answers come from the filter, and
 * bad rules fail the real CLI before any test.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { SeccompRule } from 'vitest-pool-nsjail'
import { FIXTURES, runFixture, type FixtureRun } from '../helpers/run-fixture.js'

/** The list: what 'default' (and 'strict', which starts from it) answers. */
const DENIED: Record<string, 'EPERM' | 'ENOSYS'> = {
  mount: 'EPERM',
  umount2: 'EPERM',
  'unshare(CLONE_NEWUSER)': 'EPERM',
  setns: 'EPERM',
  ptrace: 'EPERM',
  bpf: 'EPERM',
  perf_event_open: 'EPERM',
  userfaultfd: 'EPERM',
  keyctl: 'EPERM',
  init_module: 'EPERM',
  reboot: 'EPERM',
  kexec_load: 'EPERM',
  open_by_handle_at: 'EPERM',
  clock_settime: 'EPERM',
  syslog: 'EPERM',
  io_uring_setup: 'ENOSYS',
  clone3: 'ENOSYS',
}
/** Calls the kernel may refuse with EPERM by itself (a capability check before anything else). */
const KERNEL_MAY_SAY_EPERM = ['init_module', 'reboot', 'kexec_load', 'syslog']

const WORKLOAD = ['worker_threads', 'child_process', 'fs.watch on /tmp', 'http server and fetch on 127.0.0.1',
  'crypto: scrypt, hashes, random bytes, a cipher round trip', 'zlib: gzip and gunzip']

const NETLINK_RULE: SeccompRule = { syscall: 'socket', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }

/** The facts a run printed, by name (facts of the same name from several files would collide). */
const facts = (run: FixtureRun) => Object.fromEntries(run.facts.map(({ name, ...rest }) => [String(name), rest]))
const states = (run: FixtureRun, file: string) =>
  Object.fromEntries(Object.entries(run.tests).filter(([key]) => key.startsWith(`${file} > `)).map(([key, state]) => [key.slice(file.length + 3), state]))
const report = (run: FixtureRun) => JSON.stringify({ errors: run.errors, fileErrors: run.fileErrors, unhandled: run.unhandled }, null, 2) + run.output

describe('one run, a seccomp policy per folder', () => {
  let run: FixtureRun
  beforeAll(async () => {
    run = await runFixture('seccomp', {
      // No top-level `seccomp`: the default is 'default'.
      pool: {
        rules: [
          { files: 'test/strict/**', seccomp: 'strict' },
          { files: 'test/netlink/**', seccomp: { deny: [NETLINK_RULE] } },
          { files: 'test/unfiltered/**', seccomp: false },
        ],
      },
      cli: { maxWorkers: 2 },
    })
  })

  test('every fixture test passes', () => {
    const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
    expect(failed, report(run)).toEqual([])
    // denied ×2 (19 each), workload ×2 (7 each), netlink 4, unfiltered 3
    expect(Object.keys(run.tests)).toHaveLength(59)
    expect(run.unhandled).toEqual([])
    expect(run.exitCode).toBe(0)
  })

  for (const [policy, file] of [['default', 'test/denied.test.ts'], ['strict', 'test/strict/denied.test.ts']] as const) {
    test(`'${policy}': each denied call, made from inside, fails with its errno; children inherit the filter`, () => {
      const seen = facts(run)
      expect(Object.fromEntries(Object.keys(DENIED).map((name) => [name, seen[`${policy}:${name}`]]))).toEqual(
        Object.fromEntries(Object.entries(DENIED).map(([name, errno]) => [name, { ret: -1, errno }])),
      )
      expect(seen[`${policy}:unshare-cli`]).toEqual({ stderr: 'unshare: unshare failed: Operation not permitted\n' })
      expect(states(run, file)).toEqual(Object.fromEntries(
        ['the filter is on', ...Object.keys(DENIED), 'children inherit the filter: util-linux unshare --user is refused'].map((t) => [t, 'passed']),
      ))
    })
  }

  test("a realistic workload runs green under 'default' and under 'strict' (each file checks which filter it has)", () => {
    expect(states(run, 'test/workload.test.ts')).toEqual(Object.fromEntries(
      ["the filter is 'default': on, and mknod of a FIFO (left out by 'strict') works", ...WORKLOAD].map((t) => [t, 'passed']),
    ))
    expect(states(run, 'test/strict/workload.test.ts')).toEqual(Object.fromEntries(
      ["the filter is 'strict': mknod is not on its list (EPERM), close_range answers ENOSYS", ...WORKLOAD].map((t) => [t, 'passed']),
    ))
  })

  test('a custom deny rule with an argument comparison blocks only what it names', () => {
    expect(facts(run).netlink).toEqual({ raw: { ret: -1, errno: 'EACCES' }, dgram: { ret: -1, errno: 'EACCES' } })
    expect(states(run, 'test/netlink/socket.test.ts')).toEqual({
      "netlink sockets fail with the rule's errno, EACCES": 'passed',
      'other address families still get sockets': 'passed',
      'an AF_INET TCP server on 127.0.0.1 still works': 'passed',
      "the rule extends 'default': its rows still apply": 'passed',
    })
  })

  test('a per-file rule switches seccomp off for one glob only', () => {
    expect(facts(run).unfiltered).toEqual({ self: 0, child: '0' })
    expect(states(run, 'test/unfiltered/personality.test.ts')).toEqual({
      'no filter: Seccomp 0, here and in children': 'passed',
      "personality(ADDR_NO_RANDOMIZE), which 'default' refuses, works": 'passed',
      "clone3 reaches the kernel (EINVAL for size 0, not the filter's ENOSYS)": 'passed',
    })
    // …while the files outside it saw Seccomp: 2.
    expect(run.tests['test/denied.test.ts > the filter is on']).toBe('passed')
    expect(run.tests['test/strict/denied.test.ts > the filter is on']).toBe('passed')
  })
})

test('control: with `seccomp: false` the same calls reach the kernel, which answers otherwise', async () => {
  const run = await runFixture('seccomp', { filters: ['test/denied.test.ts'], pool: { seccomp: false } })
  const seen = facts(run)
  const unfiltered = Object.fromEntries(Object.keys(DENIED).map((name) => [name, seen[`default:${name}`]]))
  for (const [name, errno] of Object.entries(DENIED)) {
    if (KERNEL_MAY_SAY_EPERM.includes(name)) continue
    expect(unfiltered[name], `${name} without a filter: ${JSON.stringify(unfiltered)}`).not.toEqual({ ret: -1, errno })
    expect(run.tests[`test/denied.test.ts > ${name}`]).toBe('failed')
  }
  expect(run.tests['test/denied.test.ts > the filter is on']).toBe('failed')
  expect(run.tests['test/denied.test.ts > children inherit the filter: util-linux unshare --user is refused']).toBe('failed')
  expect(run.exitCode).toBe(1)
})

describe('a bad rule fails the run before any test (real CLI, fixtures/configured)', () => {
  const VITEST = path.resolve('node_modules/vitest/vitest.mjs')
  const ROOT = path.join(FIXTURES, 'configured')

  function cli(options: object) {
    return new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [VITEST, 'run', '--root', ROOT], {
        env: { ...process.env, NSJAIL_TEST_OPTIONS: JSON.stringify(options), NO_COLOR: '1', FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (d) => (output += d))
      child.stderr.on('data', (d) => (output += d))
      child.on('exit', (code) => resolve({ code, output }))
    })
  }

  test('an unknown system call name', async () => {
    const run = await cli({ rules: [{ files: 'test/one*', seccomp: { deny: ['no_such_syscall'] } }] })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('option `rules[0].seccomp.deny[0]` is "no_such_syscall"; expected a system call name known to libseccomp')
    expect(run.output).not.toContain('Test Files')
  })

  test('an unknown errno name', async () => {
    const run = await cli({ rules: [{ files: 'test/one*', seccomp: { deny: [{ syscall: 'socket', errno: 'ENOPE' }] } }] })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('option `rules[0].seccomp.deny[0].errno` is "ENOPE"; expected an errno name such as "EPERM"')
    expect(run.output).not.toContain('Test Files')
  })
})
