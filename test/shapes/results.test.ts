/**
 * Honest results: a file killed by a limit (wall time, memory) or by the seccomp filter, or whose
 * worker crashes in the middle, is a failed file in every reporter, with the reason as its error,
 * and its unfinished tests are not counted as passed. Through Vitest's real command line, with the
 * JSON, JUnit and default reporters, and blob reports merged.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runCli, runCliReport, type ReportedRun } from '../helpers/cli.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'
import { openCgroups } from '../../src/cgroup/index.js'

let fx: TempFixture
let out: string
beforeAll(() => {
  fx = tempFixture('results')
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-results-'))
})
afterAll(() => {
  fx.remove()
  fs.rmSync(out, { recursive: true, force: true })
})

const REASONS = {
  'test/dies.test.ts': 'vitest-pool-nsjail: the sandboxed worker running test/dies.test.ts exited with code 137 (SIGKILL).',
  // Each with the violation report's line: the option that would let the file through.
  'test/hangs.test.ts': 'vitest-pool-nsjail: killed by the sandbox: wall-time limit 3 s reached: timed out, killed with its whole pid namespace — test/hangs.test.ts\n' +
    "vitest-pool-nsjail: the sandbox ended it at limits.wallTime; to let test/hangs.test.ts run with twice that (a guess) use rules: [{ files: 'test/hangs.test.ts', limits: { wallTime: '6s' } }]",
  'test/forbidden.test.ts': 'vitest-pool-nsjail: killed by the sandbox: the seccomp filter killed the worker (SIGSYS): it made a system call the policy kills for, a 32-bit ABI call or a rule with action \'kill\' — test/forbidden.test.ts\n' +
    "vitest-pool-nsjail: the seccomp filter killed the worker: its rules kill for getpriority; to let test/forbidden.test.ts make the call use rules: [{ files: 'test/forbidden.test.ts', seccomp: { allow: ['getpriority'] } }]",
  'test/hoards.test.ts': 'vitest-pool-nsjail: killed by the sandbox: memory limit 128 MiB reached (oom_kill) — test/hoards.test.ts\n' +
    "vitest-pool-nsjail: the sandbox ended it at limits.memory; to let test/hoards.test.ts run with twice that (a guess) use rules: [{ files: 'test/hoards.test.ts', limits: { memory: '256M' } }]",
}

/** The JSON report: killed files failed with their reason, none of their tests passed, the sibling passed. */
function expectFailedFiles(run: ReportedRun, killed: Array<keyof typeof REASONS>): void {
  expect(run.report.success, run.output).toBe(false)
  expect(run.files['test/calm.test.ts'], run.output).toEqual({ status: 'passed', message: '' })
  for (const file of killed) {
    expect(run.files[file], run.output).toEqual({ status: 'failed', message: REASONS[file] })
    const tests = Object.entries(run.states).filter(([key]) => key.startsWith(`${file} > `))
    expect(tests.length, file).toBeGreaterThan(0)
    expect(tests.filter(([, state]) => state === 'passed'), file).toEqual([])
  }
  expect(run.report.numFailedTestSuites).toBeGreaterThanOrEqual(killed.length)
}

/** JUnit: each killed file's suite counts failures and carries the reason. */
function expectJunitFailures(xml: string, killed: Array<keyof typeof REASONS>): void {
  for (const file of killed) {
    const suite = new RegExp(`<testsuite name="${file.replace(/\./g, '\\.')}"[^>]* failures="(\\d+)"`).exec(xml)
    expect(suite, xml).not.toBeNull()
    expect(Number(suite![1]), file).toBeGreaterThan(0)
    expect(xml).toContain(REASONS[file].replace(/'/g, '&apos;'))
  }
  expect(xml).not.toMatch(/<testsuites [^>]* failures="0"/)
}

test('killed by its wall-time limit, by the seccomp filter, or crashed mid-file: failed files in JSON, JUnit and the default output', async () => {
  const killed = ['test/dies.test.ts', 'test/hangs.test.ts', 'test/forbidden.test.ts'] as const
  const junit = path.join(out, 'junit.xml')
  const run = await runCliReport(fx.root, ['run', 'test/calm', 'test/dies', 'test/hangs', 'test/forbidden', '--reporter=junit', `--outputFile.junit=${junit}`])
  expectFailedFiles(run, [...killed])
  expectJunitFailures(fs.readFileSync(junit, 'utf8'), [...killed])
  // The default reporter counts them as failed files, not as errors outside any file.
  expect(run.output).toMatch(/Test Files {2}3 failed \| 1 passed \(4\)/)
  expect(run.output).not.toContain('Unhandled Error')
  expect(run.code).toBe(1)
})

test('blob reports merged: a killed file stays failed', async () => {
  const blobs = path.join(out, 'blobs')
  const first = await runCli(fx.root, ['run', 'test/calm', 'test/dies', '--reporter=blob', `--outputFile=${path.join(blobs, 'blob-1.json')}`])
  expect(first.code, first.output).toBe(1)
  const merged = await runCliReport(fx.root, [`--merge-reports=${blobs}`])
  expectFailedFiles(merged, ['test/dies.test.ts'])
  expect(merged.code).toBe(1)
})

test('killed by the memory limit: a failed file in JSON and JUnit', async (ctx) => {
  const cgroups = await openCgroups('auto', () => {})
  await cgroups?.close()
  if (!cgroups) return ctx.skip('no writable cgroup for this user: the memory limit is not enforced (rootless on cgroup v1)')
  const junit = path.join(out, 'junit-memory.xml')
  const run = await runCliReport(fx.root, ['run', 'test/calm', 'test/hoards', '--reporter=junit', `--outputFile.junit=${junit}`])
  expectFailedFiles(run, ['test/hoards.test.ts'])
  expectJunitFailures(fs.readFileSync(junit, 'utf8'), ['test/hoards.test.ts'])
  expect(run.code).toBe(1)
})
